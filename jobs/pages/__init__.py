"""The pages people use: dashboard, job page, transcript editing, the layout check."""
