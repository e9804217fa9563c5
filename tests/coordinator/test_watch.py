from coordinator.watch import MIN_SILENCE, ClientWatch


def test_silent_client_jobs_become_orphans():
    watch = ClientWatch()
    watch.watch("job-1", b"kernel-a", heartbeat=5.0, time=100.0)
    watch.watch("job-2", b"kernel-b", heartbeat=5.0, time=100.0)
    assert watch.orphans(100.0 + MIN_SILENCE) == []
    watch.seen(b"kernel-b", 110.0)
    assert watch.orphans(100.0 + MIN_SILENCE + 1) == ["job-1"]


def test_long_heartbeat_allows_longer_silence():
    watch = ClientWatch()
    watch.watch("job-1", b"client", heartbeat=60.0, time=0.0)
    assert watch.orphans(170.0) == []
    assert watch.orphans(181.0) == ["job-1"]


def test_forgotten_job_is_no_orphan():
    watch = ClientWatch()
    watch.watch("job-1", b"client", heartbeat=1.0, time=0.0)
    watch.forget("job-1")
    assert watch.orphans(1000.0) == []
