"""stub"""
NAME = "size"
def run(ctx):
    raise NotImplementedError
