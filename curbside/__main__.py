from curbside.cli import entrypoint

entrypoint()
