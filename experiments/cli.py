"""The experiments' command line: a config file plus `--config.FIELD=VALUE` overrides (ml_collections).

Every experiment script is driven the same way (as the flax examples and
big_vision):

    python -m experiments.train --config experiments/configs/grid25_wgan_gp.py
    python -m experiments.train --config grid25_wgan_gp --config.optim.critic_lr=2e-4
    python -m experiments.loss_zoo --config quick

`--config` takes a config file (`path.py`, or `path.py:ARG` passed to its
`get_config(ARG)`) or the name of one in the script's config directory (the
shortcut). The config is an `ml_collections.ConfigDict`, parsed by
`config_flags.DEFINE_config_file` and locked, so `--config.a.b=v` overrides
any field with a value of that field's type, and a misspelt field is an
error that names it. Every error (unknown field, wrong type, a value the
script's validator refuses, an unknown flag) is one line on stderr and exit
status 2, before anything is written.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Callable, Sequence

import ml_collections
from absl import flags
from ml_collections import config_flags


def config_names(config_dir: str) -> list[str]:
  """The named configs of a directory: its `*.py` modules not starting with `_`."""
  return sorted(f[:-3] for f in os.listdir(config_dir) if f.endswith(".py") and not f.startswith("_"))


def config_path(config: str, config_dir: str) -> str:
  """`config` as a file path: a name from `config_dir` (with an optional `:ARG`) becomes that module's path."""
  name, sep, arg = config.partition(":")
  if not name.endswith(".py") and os.sep not in name and name in config_names(config_dir):
    return os.path.join(config_dir, name + ".py") + sep + arg
  return config


def load(config: str, config_dir: str) -> ml_collections.ConfigDict:
  """The config `config` (name or file, as `--config` takes it), without overrides; unlocked."""
  path, _, arg = config_path(config, config_dir).partition(":")
  if not os.path.isfile(path):
    raise ValueError(f"--config {config!r} is neither a config file nor one of: {', '.join(config_names(config_dir))}.")
  spec = importlib.util.spec_from_file_location(f"config_{os.path.basename(path)[:-3]}", path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config(arg) if arg else module.get_config()


def fail(prog: str, message: str) -> None:
  """One line `prog: error: message` on stderr, and exit status 2."""
  print(f"{prog}: error: {' '.join(str(message).split())}", file=sys.stderr)
  sys.exit(2)


def parse(
    argv: Sequence[str] | None,
    *,
    doc: str,
    config_dir: str,
    default_config: str,
    define_flags: Callable[[flags.FlagValues], None] | None = None,
    validate: Callable[[ml_collections.ConfigDict, flags.FlagValues], object] | None = None,
) -> tuple[ml_collections.ConfigDict, flags.FlagValues]:
  """Parses `argv` (default `sys.argv`): `--config`, its overrides and the script's own flags.

  Args:
    argv: the command-line arguments, without the program name (default `sys.argv[1:]`).
    doc: the script's docstring, shown by `--help` with the named configs.
    config_dir: the directory of the named configs.
    default_config: the config used when `--config` is not given.
    define_flags: defines the script's other flags on the given `FlagValues`.
    validate: `validate(config, flag_values)` checks the overridden config and the flags; a `ValueError`
      becomes one line and exit 2.

  Returns:
    The locked config and the parsed flags (`flag_values.workdir`, ...).
  """
  prog = os.path.basename(sys.argv[0]) or "experiment"
  argv = [prog, *(sys.argv[1:] if argv is None else argv)]
  if any(a in ("-h", "--help", "-help", "--helpfull") for a in argv[1:]):
    print(usage(doc, config_dir, default_config, define_flags))
    sys.exit(0)
  # Flags may be spelt with hyphens (`--num-processes 2` is `--num_processes 2`).
  argv = [_underscored(arg) for arg in argv]
  # The named-config shortcut: `--config NAME` / `--config=NAME` become the module's path.
  for i, arg in enumerate(argv):
    if arg == "--config" and i + 1 < len(argv):
      argv[i + 1] = config_path(argv[i + 1], config_dir)
    elif arg.startswith("--config="):
      argv[i] = "--config=" + config_path(arg.split("=", 1)[1], config_dir)
  flag_values = flags.FlagValues()
  try:
    holder = config_flags.DEFINE_config_file("config", config_path(default_config, config_dir),
                                             "config file or named config", flag_values=flag_values,
                                             lock_config=True, sys_argv=argv)
    if define_flags is not None:
      define_flags(flag_values)
    rest = flag_values(argv)
    config = holder.value
  except SystemExit:
    raise
  except Exception as e:  # absl, config_flags and ConfigDict raise flags.Error, AttributeError, KeyError, TypeError
    fail(prog, _flag_error(e))
  if len(rest) > 1:
    fail(prog, f"unexpected arguments {rest[1:]}; fields are set as --config.FIELD=VALUE.")
  if not isinstance(config, ml_collections.ConfigDict):
    fail(prog, f"--config {flag_values['config'].config_filename!r} is neither a config file nor one of:"
          f" {', '.join(config_names(config_dir))}.")
  if validate is not None:
    try:
      validate(config, flag_values)
    except ValueError as e:
      fail(prog, str(e))
  return config, flag_values


def _underscored(arg: str) -> str:
  """`--a-b[=v]` as `--a_b[=v]`; values, positional arguments and `--config...` are left as they are."""
  if not arg.startswith("--") or arg.startswith("--config"):
    return arg
  name, sep, value = arg[2:].partition("=")
  return "--" + name.replace("-", "_") + sep + value


def _flag_error(e: Exception) -> str:
  """One line for a parsing error: ConfigDict's AttributeError/KeyError carries a quoted 'did you mean'."""
  if not isinstance(e, (AttributeError, KeyError)):
    return str(e)
  message = str(e.args[0]) if e.args else str(e)
  return "unknown config field " + message.strip("'\"").replace("\\n", " ").replace("\\'", "'")


def usage(doc: str, config_dir: str, default_config: str, define_flags=None) -> str:
  """`--help`: the script's docstring, the config mechanism, the named configs and the other flags."""
  lines = [doc.strip(), "", "Config:",
           f"  --config NAME|FILE[:ARG]  a named config (default {default_config}) or a config file",
           "  --config.FIELD=VALUE      override any field of the config (nested: --config.optim.critic_lr=2e-4)",
           "", "Named configs: " + ", ".join(config_names(config_dir))]
  if define_flags is not None:
    flag_values = flags.FlagValues()
    define_flags(flag_values)
    lines += ["", "Flags:"] + [f"  --{name}: {flag_values[name].help} (default: {flag_values[name].default!r})"
                               for name in sorted(flag_values)]
  return "\n".join(lines)
