"""micro_speech on MicroPython: is it "yes", "no", or neither?

    MICROPYPATH=build/natmod/x64:device_lib .venv/bin/micropython examples/micro_speech.py \
        ../shared/data/micro_speech/yes_1000ms.wav

Reads one second of 16 kHz audio from a WAV file, turns each 30 ms window
(20 ms apart: 49 of them) into 40 int8 features with TFLM's audio
preprocessor model, stacks the rows into the classifier's input and prints
the decision and the score of each label. On a board, copy the two models
and device_lib/audio_frontend.py to the filesystem and pass the paths.
"""

import sys

sys.path.append("device_lib")  # audio_frontend, when run from the project root

import tinyml  # noqa: E402
from audio_frontend import AudioFrontend, read_wav  # noqa: E402

LABELS = ("silence", "unknown", "yes", "no")
MODELS = "../shared/models/"
# A label wins only with a clear majority of the probability.
THRESHOLD = 0.5


def classify(wav_path: str, models: str = MODELS) -> tuple:
    rate, samples = read_wav(wav_path)
    if rate != 16000:
        raise ValueError(f"need 16 kHz audio, got {rate} Hz")
    frontend = AudioFrontend(models + "audio_preprocessor_int8.tflite")
    classifier = tinyml.Model(models + "micro_speech_quantized.tflite")
    x = classifier.input()
    features = x.data
    row_size = 40
    rows = len(x) // row_size  # 49
    count = 0
    for row in frontend.rows(samples):
        if count == rows:
            break
        features[count * row_size : (count + 1) * row_size] = row
        count += 1
    if count < rows:
        raise ValueError(f"need {rows} windows (1 s of audio), the file has {count}")
    classifier.invoke()
    scores = classifier.output().dequantize()
    best = max(range(len(LABELS)), key=lambda i: scores[i])
    decision = LABELS[best] if scores[best] >= THRESHOLD else "unknown"
    return decision, scores


def main() -> None:
    if len(sys.argv) < 2:
        print("usage: micro_speech.py FILE.wav [MODELS_DIR/]")
        sys.exit(2)
    decision, scores = classify(sys.argv[1], *sys.argv[2:3])
    print("decision:", decision)
    for i, label in enumerate(LABELS):
        print(f"  {label:8s} {scores[i]:.3f}")


main()
