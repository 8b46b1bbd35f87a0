"""Where a job's files live: the media folder (the embedded default) or a bucket, and signed URLs."""
