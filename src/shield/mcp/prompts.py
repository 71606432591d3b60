"""shield-mcp's prompts: the tasks users ask an assistant for most, written out as the steps
with Shield's tools that do them well."""

from __future__ import annotations

from typing import Annotated

from fastmcp import FastMCP
from pydantic import Field


def add_prompts(mcp: FastMCP) -> None:
    @mcp.prompt(name="research_topic", title="Research a topic from web pages")
    def research_topic(
        topic: Annotated[str, Field(description="What to find out.")],
        urls: Annotated[str, Field(description="Start pages, separated by spaces or commas.")],
        collection: Annotated[str, Field(description="Where to keep what is read.")] = "research",
    ) -> str:
        """Crawl the given pages into a collection, then answer from them with citations."""
        pages = [url for url in urls.replace(",", " ").split() if url]
        listed = "\n".join(f"- {url}" for url in pages) or "- (no URL was given: ask for some)"
        return f"""Research this topic: {topic}

Start pages:
{listed}

1. For each start page, call crawl_web with url set to it, collection "{collection}" and
   max_pages 20. Each call returns a job at once.
2. Call get_job_status for each job until its status is succeeded or failed; tell me about any
   page that failed and why (the job's result lists each page).
3. Call lightrag_query with the topic and collection "{collection}" (mode hybrid) to see the
   entities and relations involved, and qdrant_find with collection "{collection}" for the
   passages that say the most about it.
4. Answer in a few paragraphs. After each claim cite its passage as [n], and end with the list
   of sources ([n] source URL). Say plainly what the pages do not tell."""

    @mcp.prompt(name="answer_with_citations", title="Answer from the knowledge base, citing it")
    def answer_with_citations(
        question: Annotated[str, Field(description="The question to answer.")],
        collection: Annotated[
            str | None, Field(description="The collection to search (default: the server's).")
        ] = None,
    ) -> str:
        """Answer a question from what the knowledge base holds, with a citation per claim."""
        where = f' with collection "{collection}"' if collection else ""
        return f"""Answer this question from the knowledge base only: {question}

1. Call qdrant_find{where} with the question in plain words (limit 10). If the passages do not
   answer it, search again with other words: names, codes, or mode "lexical" for exact terms.
2. If the question is about how things relate (who, what depends on what), also call
   lightrag_query{where}.
3. Answer briefly. Cite each claim as [n] after it and end with the sources ([n] source, title).
   If the knowledge base does not answer the question, say so rather than guess."""

    @mcp.prompt(name="summarise_collection", title="Summarise what a collection holds")
    def summarise_collection(
        collection: Annotated[str, Field(description="The collection to summarise.")],
    ) -> str:
        """An overview of a collection: its documents, their topics, and what is missing."""
        return f"""Summarise what the collection "{collection}" holds.

1. Read the resource shield://collections/{collection}/documents (or call list_documents with
   collection "{collection}") for its documents: sources, titles, sizes.
2. Call lightrag_query with collection "{collection}", mode global and the question "What are
   the main topics and how do they relate?".
3. Write a short overview: the main topics, the documents that cover each (by title or source),
   documents that stand apart, and anything that looks out of date or duplicated."""
