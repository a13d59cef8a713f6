"""torch.backends.opt_einsum: einsum of three or more operands contracts pairs in opt_einsum's order.

opt_einsum is a dependency of JAX, so it is always available here."""

enabled: bool = True
strategy: str = "auto"


def is_available() -> bool:
    return True


def get_opt_einsum():
    import opt_einsum

    return opt_einsum
