"""The highlight agents: plain functions that find what is worth clipping in a lecture.

Each module is one stage with one public function that returns a dataclass with ``to_dict()``:

- ``silences.detect_silences``: pauses in the 16 kHz PCM, in blocks, so hours fit in memory.
- ``layout.detect_layout``: where the slides and the speaker are, and when the slides change.
- ``analysers.analyse``: topic segments with a title, a summary and an importance (local or Gemini).
- ``selection.select_clips``: the best 20 s to 2 min passages, with long pauses cut out.
- ``compiler.render_clip``: one MP4 per clip with burned-in captions, and a thumbnail.
- ``chapters.chapters`` and ``timeline.timeline_svg``: what the job page shows.

Nothing here imports Django, so that the pipeline, the CLI and the tests share the same code.
"""
