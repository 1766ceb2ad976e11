#!/usr/bin/env python3
"""Fails when a relative link of README.md or of the book (docs/src) points at no file, and,
once the book is built (docs/book), when a link of its HTML pages does: mdBook rewrites a link
to a .md file into one to .html, which does not exist for a file outside the book (the
README). External links (http, https, mailto) and anchors are not checked."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
files = [root / "README.md", *sorted((root / "docs" / "src").glob("*.md"))]
link = re.compile(r"\]\(([^)\s]+)\)")
broken = []
for page in files:
    text = page.read_text(encoding="utf-8")
    # Links inside code blocks are code, not links.
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    for target in link.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(f"{page.relative_to(root)}: {target}")
book = root / "docs" / "book"
pages = sorted(book.glob("*.html")) if book.is_dir() else []
href = re.compile(r'href="([^"]+)"')
for page in pages:
    for target in href.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if path and not (page.parent / path).exists():
            broken.append(f"{page.relative_to(root)} (built): {target}")
if broken:
    print("broken links:\n  " + "\n  ".join(broken))
    sys.exit(1)
print(f"links: {len(files)} pages and {len(pages)} built pages, every relative link points at a file")
