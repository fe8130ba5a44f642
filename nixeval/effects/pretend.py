"""The job a secret's condition is evaluated for (`Pretend`), as ``hci effect run`` sees it.

Its own module, apart from `nixeval.effects.secrets` (which re-exports it): ``ci-eval
check`` evaluates every file as if on a ref, but needs the secrets file's parser and
condition language only when there is a secrets file.
"""

from __future__ import annotations

from ..records import Record

__all__ = ["Pretend"]


class Pretend(Record):
    """The job that conditions are evaluated for, as ``hci effect run`` would see it.

    ``ref`` is the full git ref; ``branch``/``tag`` are its short forms when it is
    ``refs/heads/…`` / ``refs/tags/…``. ``repo``/``owner`` are the repository's name and
    owner, ``default_branch`` its default branch; None means unknown.
    """

    branch: str | None
    ref: str | None
    tag: str | None
    repo: str | None
    owner: str | None
    default_branch: str | None

    @classmethod
    def from_options(
        cls,
        as_branch: str | None = None,
        as_ref: str | None = None,
        as_tag: str | None = None,
        repo: str | None = None,
        owner: str | None = None,
        default_branch: str | None = None,
    ) -> Pretend:
        """Like ``hci effect run --as-branch B | --as-ref R | --as-tag T``.

        The three options are alternatives (at most one may be given); each becomes a ref
        (``refs/heads/B``, ``R``, ``refs/tags/T``), and branch and tag are read back from it.
        """
        given = [
            opt
            for opt, v in (("--as-branch", as_branch), ("--as-ref", as_ref), ("--as-tag", as_tag))
            if v is not None
        ]
        if len(given) > 1:
            raise ValueError(f"{' and '.join(given)} cannot be used together")
        if as_branch is not None:
            ref: str | None = "refs/heads/" + as_branch
        elif as_tag is not None:
            ref = "refs/tags/" + as_tag
        else:
            ref = as_ref
        branch = tag = None
        if ref is not None:
            if ref.startswith("refs/heads/"):
                branch = ref.removeprefix("refs/heads/")
            elif ref.startswith("refs/tags/"):
                tag = ref.removeprefix("refs/tags/")
        return cls(
            branch=branch,
            ref=ref,
            tag=tag,
            repo=repo,
            owner=owner,
            default_branch=default_branch,
        )

    @property
    def is_default_branch(self) -> bool | None:
        """Whether the ref is the default branch; None when the default branch is unknown."""
        if self.default_branch is None:
            return None
        return self.ref == "refs/heads/" + self.default_branch
