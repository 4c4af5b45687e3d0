"""Keyword-spotting audio front end for MicroPython boards.

16 kHz mono int16 audio in, one row of 40 int8 features per 30 ms window
(20 ms apart) out, computed by TFLM's audio preprocessor model
(audio_preprocessor_int8.tflite) through `tinyml`: the rows are exactly the
ones TFLM computes, so a classifier trained on TFLM's features (such as
micro_speech_quantized.tflite) sees what it was trained on.

    frontend = AudioFrontend("/audio_preprocessor_int8.tflite")
    for row in frontend.rows(samples):      # samples: array('h') of 16 kHz audio
        ...                                 # row: memoryview of 40 int8

The preprocessor keeps a noise estimate from one window to the next:
reset() before an unrelated recording.
"""

from array import array

import tinyml

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 480  # 30 ms
HOP_SAMPLES = 320  # 20 ms


class AudioFrontend:
    def __init__(self, model: str | bytes) -> None:
        self.model = tinyml.Model(model)
        self._input = self.model.input()
        self._output = self.model.output()

    def reset(self) -> None:
        """Forget the noise estimate (start of a new recording)."""
        self.model.reset()

    def features(self, window: memoryview) -> memoryview:
        """Feature row of one 30 ms window (480 int16 samples, a buffer of
        typecode 'h'): a memoryview of 40 int8, valid until the next call."""
        self._input.data = window
        self.model.invoke()
        return self._output.data

    def rows(self, samples: array):  # noqa: ANN201 (a generator of memoryview rows)
        """Feature rows of every 30 ms window of `samples` (array('h')), 20 ms apart."""
        view = memoryview(samples)
        for start in range(0, len(samples) - WINDOW_SAMPLES + 1, HOP_SAMPLES):
            yield self.features(view[start : start + WINDOW_SAMPLES])


def read_wav(path: str) -> tuple:
    """(sample rate, array('h') of samples) of a 16-bit mono PCM WAV file."""
    with open(path, "rb") as f:
        data = f.read()
    if data[0:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file: " + path)
    pos = 12
    rate = None
    while pos + 8 <= len(data):
        chunk = data[pos : pos + 4]
        size = int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = pos + 8
        if chunk == b"fmt ":
            fmt = int.from_bytes(data[body : body + 2], "little")
            channels = int.from_bytes(data[body + 2 : body + 4], "little")
            rate = int.from_bytes(data[body + 4 : body + 8], "little")
            bits = int.from_bytes(data[body + 14 : body + 16], "little")
            if fmt != 1 or channels != 1 or bits != 16:
                raise ValueError(f"need 16-bit mono PCM, got format {fmt}, {channels} channels, {bits} bits")
        elif chunk == b"data":
            if rate is None:
                raise ValueError("WAV data before its format chunk")
            samples = array("h", bytes(data[body : body + size - size % 2]))
            return rate, samples
        pos = body + size + (size & 1)
    raise ValueError("WAV file has no data chunk: " + path)
