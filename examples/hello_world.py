# The smallest tinyml application: TFLM's hello_world model (a tiny int8 MLP
# trained to approximate sin(x) on [0, 2*pi]) run from MicroPython.
#
# On the PC (unix port):  make demo
# On a board:             mpremote cp ../shared/models/hello_world_int8.tflite :
#                         mpremote run examples/hello_world.py
import math

import tinyml

try:
    model = tinyml.Model("hello_world_int8.tflite")
except OSError:
    model = tinyml.Model("../shared/models/hello_world_int8.tflite")

x_in = model.input()
print("tinyml", tinyml.version, "- model ops:", ", ".join(name for name, _ in model.ops))
print("input", x_in.shape, x_in.dtype, "scale", x_in.scale, "zero point", x_in.zero_point)
print("arena", model.arena_size, "bytes, state", model.state_size, "bytes")
print()
print("   x     sin(x)   model   error")
worst = 0.0
steps = 16
for i in range(steps + 1):
    x = 2 * math.pi * i / steps
    y = model.predict([x])[0]  # float in, quantized in C, dequantized out
    err = y - math.sin(x)
    worst = max(worst, abs(err))
    bar = " " * int(20 + 18 * y) + "*"
    print(f"{x:5.2f}  {math.sin(x):7.3f}  {y:7.3f}  {err:6.3f}  {bar}")
print()
print(f"largest error {worst:.3f}")
