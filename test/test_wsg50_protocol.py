import struct

import pytest

from visuotactile_grasp.devices.wsg50 import protocol as p


def test_crc_check_value_from_documentation():
    # The frame AA AA AA 01 00 00 carries the checksum bytes E8 10.
    assert p.encode(0x01) == bytes.fromhex("aaaaaa010000e810")


def test_crc_over_whole_frame_is_zero():
    frame = p.encode(p.Command.GRASP, p.motion_payload(42.0, 50.0))
    assert p.crc16(frame) == 0


def test_standard_crc_ccitt_differs():
    # A textbook CRC-CCITT (MSB-first update) gives different bytes: guard against "fixing" it.
    crc = 0xFFFF
    for b in bytes.fromhex("aaaaaa010000"):
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    assert crc != 0x10E8


def test_decoder_roundtrip_split_and_garbage():
    frames = p.encode_reply(0x43, p.Status.SUCCESS, struct.pack("<f", 55.5)) + p.encode(0x40, b"\x00\x00\x00")
    decoder = p.FrameDecoder()
    out = decoder.feed(b"\x13\x37" + frames[:5])
    out += decoder.feed(frames[5:])
    assert [f.command for f in out] == [0x43, 0x40]
    assert out[0].status == p.Status.SUCCESS
    assert p.parse_float(out[0].params) == pytest.approx(55.5)


def test_decoder_rejects_corrupt_checksum_and_resyncs():
    good = p.encode(0x06, b"abc")
    bad = good[:-1] + bytes([good[-1] ^ 0x01])
    decoder = p.FrameDecoder()
    with pytest.raises(p.ProtocolError, match="checksum"):
        decoder.feed(bad)
    assert decoder.feed(good)[0].payload == b"abc"


def test_encode_rejects_bad_command():
    with pytest.raises(ValueError):
        p.encode(300)
