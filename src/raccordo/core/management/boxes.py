"""A framed block of text for the few things a command prints once and the reader must not miss."""


def box(lines: list[str]) -> str:
    width = max(len(line) for line in lines)
    border = "+" + "-" * (width + 2) + "+"
    return "\n".join([border, *[f"| {line:<{width}} |" for line in lines], border])
