"""What Shield's tests, benchmarks and Molecule checks share: real Redis and Shield's services as
processes on free loopback ports, MCP sessions with the official SDK, fakes that speak outside
services' real HTTP APIs (an LLM, embedding servers), and generated documents, sites and facts.
A support module never imports a test."""
