"""capdesk's benchmarks: ratios against baselines measured in the same run.

Run ``uv run python benchmarks/run.py`` (``--quick`` for a short run). Every figure
is compared with a baseline measured interleaved with it, because these machines
are noisy: absolute times mean little, ratios measured side by side do.
"""
