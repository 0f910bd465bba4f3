"""MkDocs hook: the repository's README.md is the docs site's home page (index.md), unduplicated.

On GitHub the README links to `docs/page.md` and the pages link back to `../README.md`; in the
site the README sits beside the pages, so both kinds of link are rewritten to match.
"""

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

README = Path(__file__).resolve().parent.parent / "README.md"

# A Markdown link's target, `](target)`, where the target starts with the prefix we rewrite.
README_TO_DOCS = re.compile(r"\]\(docs/")
DOCS_TO_README = re.compile(r"\]\(\.\./README\.md")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    files.append(File.generated(config, "index.md", abs_src_path=str(README)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri == "index.md":
        return README_TO_DOCS.sub("](", markdown)
    return DOCS_TO_README.sub("](index.md", markdown)
