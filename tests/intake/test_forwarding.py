from nadhir.intake.forwarding import ForwardFolder


def test_relay_copy_is_credited_to_the_original_sender() -> None:
    folder = ForwardFolder()
    text = "⚠️ طيران حربي روسي يحوم فوق الاتارب"
    assert folder.original_source(0.0, "obs-1", text) == "obs-1"
    assert folder.original_source(60.0, "tg-channel-8", "Fwd: " + text) == "obs-1"
    assert folder.original_source(90.0, "tg-channel-9", "منقول: " + text + " ⚠️") == "obs-1"


def test_different_messages_and_old_ones_are_not_folded() -> None:
    folder = ForwardFolder(window_s=300.0)
    assert folder.original_source(0.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
    assert folder.original_source(10.0, "obs-2", "jet over Ariha heading south-west") == "obs-2"
    assert folder.original_source(400.0, "obs-3", "helicopter over Saraqeb heading north") == "obs-3"


def test_short_texts_and_the_same_source_are_left_alone() -> None:
    folder = ForwardFolder()
    assert folder.original_source(0.0, "obs-1", "jet!") == "obs-1"
    assert folder.original_source(1.0, "obs-2", "jet!") == "obs-2"
    assert folder.original_source(2.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
    assert folder.original_source(3.0, "obs-1", "helicopter over Saraqeb heading north") == "obs-1"
