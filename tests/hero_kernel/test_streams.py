import asyncio

from hero_kernel.streams import MAX_BATCH, StreamBuffer


def collect(script):
    sent = []

    async def scenario():
        buffer = StreamBuffer(lambda name, text: sent.append((name, text)))
        await script(buffer)
        buffer.flush()

    asyncio.run(scenario())
    return sent


def test_lines_batch_per_stream_in_order():
    async def script(buffer):
        buffer.write("stdout", "a")
        buffer.write("stdout", "b")
        buffer.write("stderr", "warn")
        buffer.write("stdout", "c")

    assert collect(script) == [
        ("stdout", "a\nb\n"),
        ("stderr", "warn\n"),
        ("stdout", "c\n"),
    ]


def test_timer_flushes_while_output_pauses():
    async def script(buffer):
        buffer.write("stdout", "first")
        await asyncio.sleep(1.0)
        buffer.write("stdout", "second")

    assert collect(script) == [("stdout", "first\n"), ("stdout", "second\n")]


def test_large_output_goes_out_in_bounded_batches():
    line = "x" * 1000

    async def script(buffer):
        for _ in range(600):
            buffer.write("stdout", line)

    sent = collect(script)
    assert "".join(text for _, text in sent) == (line + "\n") * 600
    assert all(len(text) <= MAX_BATCH + len(line) + 1 for _, text in sent)
    assert len(sent) >= 2
