"""The message-spec checks of jupyter_kernel_test, with Rhai samples."""

from __future__ import annotations

import jupyter_kernel_test


class HeroKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "hero"
    language_name = "rhai"
    file_extension = ".rhai"

    code_hello_world = 'print("hello, world")'
    code_stderr = 'debug("to stderr")'
    code_generate_error = 'throw "deliberate failure"'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": '"rhai" + "!"', "result": '"rhai!"'},
        {"code": "[1, 2, 3].len()", "result": "3"},
    ]
    complete_code_samples = ["1 + 1;", "let x = 3;", "fn f() { 1 }"]
    incomplete_code_samples = ["fn f() {", "let items = [1, 2,"]
    invalid_code_samples = ["let = ;"]
    completion_samples = [{"text": "whi", "matches": {"while"}}]
    code_inspect_sample = "db_get"
    supported_history_operations = ("tail", "search")
    code_history_pattern = "6 *"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        # The first Rhai cell waits for the embedded coordinator and its nodes.
        cls.kc.execute_interactive("0", timeout=120)
