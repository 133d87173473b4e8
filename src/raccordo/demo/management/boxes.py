"""A framed block of text for the few things a command prints once and the reader must not miss."""


def box(lines: list[str]) -> str:
    """`lines` in a frame of `+`, `-` and `|`, as wide as the longest line."""
    width = max(len(line) for line in lines)
    border = "+" + "-" * (width + 2) + "+"
    return "\n".join([border, *[f"| {line:<{width}} |" for line in lines], border])


def demo_logins_box(users, passwords: dict[str, str]) -> str:
    """The demo users' logins with their random passwords, to print once (they are stored nowhere else)."""
    lines = ["Demo users. These passwords are shown ONCE and stored nowhere else:", ""]
    lines += [f"  {u.username:<8} {u.get_full_name():<22} {u.get_role_display():<16} "
              f"password: {passwords[u.username]}" for u in users]
    return box(lines)
