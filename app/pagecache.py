"""A small per-process cache of rendered pages, keyed by everything the page depends on."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from flask import current_app


class PageCache:
    """Least-recently-used rendered pages, at most `size` of them."""

    def __init__(self, size: int = 256) -> None:
        """Start empty."""
        self.size = size
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> str | None:
        """The page stored under key, or None."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, page: str) -> None:
        """Store a page, forgetting the least recently used beyond the size."""
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)


def page_cache() -> PageCache:
    """This app's page cache."""
    cache: PageCache | None = current_app.extensions.get("page_cache")
    if cache is None:
        cache = PageCache(current_app.config["PAGE_CACHE_SIZE"])
        current_app.extensions["page_cache"] = cache
    return cache
