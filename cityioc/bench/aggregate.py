"""stub"""
NAME = "aggregate"
def run(ctx):
    raise NotImplementedError
