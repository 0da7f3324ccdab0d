"""A stand-in for the TensorFlow names Rasa 3.6 imports at module level, for a bot environment
without TensorFlow (issue 15).

Rasa 3.6.21 imports TensorFlow and Keras at module level in the modules of its TensorFlow components
(DIET, TED, ResponseSelector, ConveRT; rasa/utils/tensorflow/), and its default component registry
imports all of them, so nothing of Rasa loads without these names. Lotse's pipeline and policies run
none of those components (the linear intent classifier replaced DIET). install() puts small modules
of Lotse's into sys.modules under the TensorFlow names, before Rasa is imported and only where
TensorFlow is really absent:

* the classes Rasa subclasses or names in annotations exist, and creating an instance raises
  TensorFlowNotInstalled, naming the class and the Rasa code that asked for it;
* a function called, or any other name looked up at run time (`tf.constant`, `K.epsilon`, `from
  tensorflow import config`), raises TensorFlowNotInstalled the same way.

Every use is recorded in USES and, when LOTSE_NO_TENSORFLOW_LOG names a file, appended there (one
line each), so a test can show that training, serving and the actions used none.
The names were found by importing every module of Rasa 3.6.21 with a recording module in their
place; install() refuses another Rasa (patches.check_rasa_version), whose imports may differ.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Callable
from typing import Any, NoReturn

LOG_VARIABLE = "LOTSE_NO_TENSORFLOW_LOG"

# Module -> (classes, functions, submodules): the names Rasa 3.6.21 looks up when its modules load.
MODULES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "tensorflow": (
        ("Tensor", "SparseTensor", "TensorShape", "TensorSpec"),
        (),
        ("keras", "python", "types"),
    ),
    "tensorflow.keras": ((), (), ("backend", "callbacks", "layers", "metrics", "utils")),
    "tensorflow.keras.backend": ((), (), ()),
    "tensorflow.keras.callbacks": (("Callback",), (), ()),
    "tensorflow.keras.layers": (("AbstractRNNCell", "Dense", "Dropout", "Layer"), (), ()),
    "tensorflow.keras.metrics": (("Metric",), (), ()),
    "tensorflow.keras.utils": (("Sequence",), (), ()),
    "tensorflow.python": ((), (), ("eager",)),
    "tensorflow.python.eager": ((), (), ("wrap_function",)),
    "tensorflow.python.eager.wrap_function": (("WrappedFunction",), (), ()),
    "tensorflow.types": ((), (), ("experimental",)),
    "tensorflow.types.experimental": (("TensorLike",), (), ()),
    "keras": (("Model",), (), ("utils",)),
    "keras.utils": ((), (), ("control_flow_util", "tf_utils")),
    "keras.utils.control_flow_util": ((), ("smart_cond",), ()),
    "keras.utils.tf_utils": ((), (), ()),
}

# What was used: "<TensorFlow name> by <Rasa module>.<function>", in order.
USES: list[str] = []
_lock = threading.Lock()


class TensorFlowNotInstalled(ImportError):
    """Rasa code that needs TensorFlow ran in Lotse's bot environment, which has none."""


def _caller() -> str:
    """The first frame outside this module: the Rasa (or Lotse) code that used the name."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is None:
        return "?"
    return f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_qualname}"


def _refuse(name: str) -> NoReturn:
    use = f"{name} by {_caller()}"
    with _lock:
        USES.append(use)
        log = os.environ.get(LOG_VARIABLE)
        if log:
            with open(log, "a", encoding="utf-8") as file:
                file.write(use + "\n")
    raise TensorFlowNotInstalled(
        f"{use}: TensorFlow is not installed in Lotse's bot environment, and Lotse's pipeline and "
        "policies use no TensorFlow component (bot/runtime/no_tensorflow.py, docs/rasa.md). A "
        "component of config.yml needs TensorFlow: replace it, or install Rasa with TensorFlow."
    )


def _stand_in_class(module: str, name: str) -> type:
    def __new__(cls: type, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(f"{module}.{name} ({cls.__module__}.{cls.__qualname__})")

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        pass

    return type(
        name,
        (),
        {
            "__module__": module,
            "__doc__": f"Stands in for {module}.{name}: an instance raises TensorFlowNotInstalled.",
            "__new__": __new__,
            "__init_subclass__": classmethod(__init_subclass__),
        },
    )


def _stand_in_function(module: str, name: str) -> Callable[..., NoReturn]:
    def function(*args: Any, **kwargs: Any) -> NoReturn:
        _refuse(f"{module}.{name}")

    function.__name__ = function.__qualname__ = name
    function.__module__ = module
    return function


class _StandInModule(types.ModuleType):
    """A TensorFlow module with only the names in MODULES; any other name raises when looked up."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # what introspection (inspect, pickle, pytest) asks
        _refuse(f"{self.__name__}.{name}")


def tensorflow_installed() -> bool:
    stand_in = sys.modules.get("tensorflow")
    if isinstance(stand_in, _StandInModule):
        return False
    return stand_in is not None or importlib.util.find_spec("tensorflow") is not None


def installed() -> bool:
    """Whether the stand-in is in sys.modules."""
    return isinstance(sys.modules.get("tensorflow"), _StandInModule)


def install() -> bool:
    """Puts the stand-in modules into sys.modules unless TensorFlow is installed; True if it did
    (or had). Refuses a Rasa other than the one the names were taken from
    (UnsupportedRasaVersion)."""
    from bot.runtime.patches import check_rasa_version

    check_rasa_version(importlib.metadata.version("rasa"))
    if installed():
        return True
    if tensorflow_installed() or any(name in sys.modules for name in MODULES):
        return False
    modules = {name: _StandInModule(name, f"Lotse's stand-in for {name}") for name in MODULES}
    for name, module in modules.items():
        classes, functions, submodules = MODULES[name]
        module.__path__ = []  # a package: `import tensorflow.keras.backend` looks here
        for attribute in classes:
            setattr(module, attribute, _stand_in_class(name, attribute))
        for attribute in functions:
            setattr(module, attribute, _stand_in_function(name, attribute))
        for attribute in submodules:
            setattr(module, attribute, modules[f"{name}.{attribute}"])
    sys.modules.update(modules)
    return True
