"""The build's first step: load the cohort the spec names and record where it came from.

Either the synthetic demonstration cohort
(:func:`crlm_outcomes.datasets.synthetic.synthetic_cohort`, with its size and seed) or a file
read by :func:`crlm_outcomes.io.load.load_cohort` with a loader profile. The input's sha256 (and
the profile's), the seed and a sentence for the methods text are recorded in the build context.
"""

from __future__ import annotations

from pathlib import Path

from crlm_outcomes.report._context import BuildContext

__all__ = ["load_cohort_step", "spec_profile"]


def spec_profile(spec, base_dir: Path):  # noqa: ANN001, ANN201 - avoids importing io eagerly
    """The resolved loader profile the spec names (None for the synthetic demo); a relative
    YAML path is taken from ``base_dir``.

    Parameters
    ----------
    spec
        The validated :class:`~crlm_outcomes.report.spec.AnalysisSpec`.
    base_dir
        Folder that a relative profile path in the spec refers to.

    Returns
    -------
    crlm_outcomes.io.profile.Profile or None
        The profile (a shipped name or a YAML file), or None for ``demo: true``.

    Raises
    ------
    UnknownProfileError
        No shipped profile of that name and no file at that path.

    Examples
    --------
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> spec = parse_spec({"cohort": {"source": "registry.csv", "profile": "seer"}})
    >>> spec_profile(spec, Path(".")).name
    'seer'
    >>> print(spec_profile(parse_spec({"cohort": {"demo": True}}), Path(".")))
    None
    """
    if spec.cohort.demo:
        return None
    from crlm_outcomes.io.profile import resolve_profile

    return resolve_profile(_profile_arg(spec, base_dir))


def _profile_arg(spec, base_dir: Path) -> str | Path:  # noqa: ANN001
    profile: str | Path = spec.cohort.profile
    prof_path = Path(str(profile))
    if prof_path.suffix in (".yaml", ".yml") and not prof_path.is_absolute():
        profile = base_dir / prof_path
    return profile


def load_cohort_step(ctx: BuildContext, base_dir: Path) -> None:
    """Load the spec's cohort into ``ctx.cohort``; relative paths (the source file, a YAML
    profile) are taken from ``base_dir``.

    Also records the input (its kind and sha256; the path and profile of a file, or the size
    and seed of the synthetic cohort) in ``ctx.inputs``, the synthetic cohort's seed in
    ``ctx.seeds`` and a sentence on the source in ``ctx.cohort_note``.

    Parameters
    ----------
    ctx
        The build context; its spec's ``cohort:`` says what to load.
    base_dir
        Folder that relative paths in the spec refer to.

    Returns
    -------
    None
        The results are stored in ``ctx``.

    Raises
    ------
    InputError
        The loader's errors (unreadable file, missing columns, ...).

    Examples
    --------
    >>> import tempfile
    >>> from crlm_outcomes.report._context import BuildContext
    >>> from crlm_outcomes.report.spec import parse_spec
    >>> from crlm_outcomes.report.suppression import SuppressionPolicy
    >>> from crlm_outcomes.report.writer import OutputWriter
    >>> spec = parse_spec({"cohort": {"demo": True, "n": 50, "seed": 3}})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     writer = OutputWriter(Path(d), spec, jobs=1)
    ...     ctx = BuildContext(spec=spec, policy=SuppressionPolicy(enabled=False), writer=writer)
    ...     load_cohort_step(ctx, Path(d))
    >>> len(ctx.cohort.data), ctx.inputs[0]["kind"], ctx.inputs[0]["seed"]
    (50, 'synthetic', 3)
    >>> print(ctx.cohort_note)
    The cohort is the synthetic demonstration cohort of crlm_outcomes (50 simulated patients, seed 3); it is not real patient data.
    """
    spec = ctx.spec
    if spec.cohort.demo:
        from crlm_outcomes.datasets.synthetic import DEMO_N, DEMO_SEED, synthetic_cohort

        n = spec.cohort.n if spec.cohort.n is not None else DEMO_N
        seed = spec.cohort.seed if spec.cohort.seed is not None else DEMO_SEED
        cohort = synthetic_cohort(n, seed)
        ctx.seeds["synthetic_cohort"] = int(seed)
        ctx.inputs.append(
            {
                "kind": "synthetic",
                "generator": "crlm_outcomes.datasets.synthetic.synthetic_cohort",
                "n": int(n),
                "seed": int(seed),
                "sha256": cohort.provenance.get("input_sha256"),
            }
        )
        ctx.cohort_note = (
            f"The cohort is the synthetic demonstration cohort of crlm_outcomes "
            f"({n} simulated patients, seed {seed}); it is not real patient "
            "data."
        )
    else:
        from crlm_outcomes.io.load import load_cohort

        source = Path(spec.cohort.source)  # type: ignore[arg-type]
        if not source.is_absolute():
            source = base_dir / source
        profile = _profile_arg(spec, base_dir)
        cohort = load_cohort(source, profile=profile, **spec.cohort.options)
        ctx.inputs.append(
            {
                "kind": "file",
                "path": spec.cohort.source,
                "sha256": cohort.provenance.get("input_sha256"),
                "profile": spec.cohort.profile,
                "profile_sha256": cohort.provenance.get("profile_sha256"),
            }
        )
        # the counts are added by the flow section, as its table publishes them
        ctx.cohort_note = (
            f"The cohort was read from {spec.cohort.source} with the "
            f"'{spec.cohort.profile}' loader profile."
        )
    ctx.cohort = cohort
