"""Other processes as Linux's /proc shows them, for the tests of processes that must end."""

from pathlib import Path


def alive(pid: int) -> bool:
    """Whether the process runs: gone, or a zombie (ended, its parent not having read its
    status; where PID 1 reaps nobody, an orphan stays one), counts as ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
