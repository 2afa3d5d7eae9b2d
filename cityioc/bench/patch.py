"""stub"""
NAME = "patch"
def run(ctx):
    raise NotImplementedError
