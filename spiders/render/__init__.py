"""Rendering a page in Chromium without letting Chromium touch the network.

`browser` launches one Chromium per crawl process (lazily, on the first page that needs it) with
flags that make it resolve no name and reach no host, and keeps a pool of contexts/pages.
`job` renders one page: the navigation is fulfilled from the response Scrapy already has, every
other request the page makes is either aborted (images, fonts, media, stylesheets, frames, popups,
WebSockets) or fetched by Scrapy itself through the crawl's downloader middlewares (the
private-address rule, robots.txt, size caps, redirects each checked again; in a download slot of
their own beside the site's, so they do not queue behind its page fetches) and fulfilled; `cache`
keeps the scripts for the process's other renders, as a browser's HTTP cache would.
The decision which pages to render and the Scrapy side live in spiders.middlewares.render.
"""
