import sys
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager


def test_kernelspec_installed_in_environment():
    spec = KernelSpecManager().get_kernel_spec("hero")
    assert Path(spec.resource_dir).is_relative_to(
        Path(sys.prefix) / "share" / "jupyter" / "kernels"
    )
    assert spec.display_name == "Hero (Rhai)"
    assert spec.language == "rhai"
    assert spec.argv[1:4] == ["-P", "-m", "hero_kernel"]


def test_language_info_asks_for_rust_highlighting():
    from hero_kernel.kernel import HeroKernel

    info = HeroKernel.language_info
    assert info["name"] == "rhai"
    assert info["codemirror_mode"] == "rust"
    assert info["pygments_lexer"] == "rust"
