"""Downloader middlewares, one concern per module: host map, private-address refusal, traps,
polite robots.txt (crawl-delay), content type and size, render decision."""
