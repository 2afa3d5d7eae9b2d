"""stub"""
NAME = "query"
def run(ctx):
    raise NotImplementedError
