"""The process runtime: containers as local processes from an image catalog, no isolation."""
