"""A Keras 3 model's config, rewritten so tf-keras (Keras 2) can rebuild it.

    config = to_tf_keras(keras3_model.get_config(), batch=None)
    model = tf_keras.Sequential.from_config(config)   # or tf_keras.Model.from_config
    model.set_weights(keras3_model.get_weights())

tf-keras refuses both files Keras 3 writes (.keras and .h5 fail on the
InputLayer's `batch_shape`), so quantization-aware training, which only works
with tf-keras, rebuilds the model from its config and weights instead. The
rewrite covers what differs for the built-in layers: dtype policies (objects in
Keras 3, strings in tf-keras), the InputLayer's arguments, and the functional
graph's node format. Custom layers and layers Keras 3 added are not translated;
tf-keras names them when it cannot rebuild them. Pure Python (no TensorFlow).
"""

from __future__ import annotations

from typing import Any

# Keras 3 arguments (of layers and initializers) tf-keras does not take.
_DROPPED = frozenset({"optional", "quantization_config", "input_axes", "output_axes"})


def to_tf_keras(config: dict[str, Any], batch: int | None = None) -> dict[str, Any]:
    """The config of a Keras 3 Sequential or functional model, in tf-keras's form,
    with the input's batch dimension set to `batch` (None: any batch size)."""
    result = _plain(config)
    if "layers" not in result:
        raise ValueError("not a Sequential or functional model config (no `layers`)")
    for layer in result["layers"]:
        layer_config = layer.get("config", {})
        if layer.get("class_name") == "InputLayer":
            shape = layer_config.pop("batch_shape", None) or layer_config.get("batch_input_shape")
            if shape is not None:
                layer_config["batch_input_shape"] = [batch, *list(shape)[1:]]
        if "inbound_nodes" in layer:
            layer["inbound_nodes"] = [_node(n) for n in layer["inbound_nodes"]]
        if layer_config.get("rms_scaling") is False:  # LayerNormalization's plain form in Keras 3
            del layer_config["rms_scaling"]
        layer.pop("build_config", None)
        layer.pop("compile_config", None)
    result.pop("build_input_shape", None)
    return result


def _plain(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """Dtype policies to their names, unknown arguments dropped, tuples to lists."""
    if isinstance(value, dict):
        if value.get("class_name") == "DTypePolicy" and isinstance(value.get("config"), dict):
            return value["config"].get("name", "float32")
        return {k: _plain(v) for k, v in value.items() if k not in _DROPPED}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _node(node: Any) -> Any:  # noqa: ANN401 - one inbound node, either format
    """Keras 3's {"args": [...], "kwargs": {...}} node as tf-keras's
    [[layer name, node index, tensor index, kwargs], ...]."""
    if not isinstance(node, dict):
        return node  # already tf-keras's format
    tensors: list[list[Any]] = []
    _collect(node.get("args", []), tensors)
    return tensors


def _collect(value: Any, tensors: list[list[Any]]) -> None:  # noqa: ANN401
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        name, node_index, tensor_index = value["config"]["keras_history"]
        tensors.append([name, node_index, tensor_index, {}])
    elif isinstance(value, list | tuple):
        for item in value:
            _collect(item, tensors)
