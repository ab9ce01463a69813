"""The command-line contract every experiment script keeps: a bad argument is one line, exit status 2, nothing written."""

import os
import re
import sys

import pytest


def assert_cli_error(main, argv, pattern, capsys, workdir):
  """`main([*argv, "--workdir", workdir])` exits 2 with one stderr line `prog: error: ...` matching `pattern`.

  `pattern` is a regular expression searched in that line; `workdir` must not exist afterwards.
  """
  with pytest.raises(SystemExit) as exit_info:
    main([*argv, "--workdir", str(workdir)])
  assert exit_info.value.code == 2
  err = capsys.readouterr().err.strip()
  assert len(err.splitlines()) == 1 and err.startswith(os.path.basename(sys.argv[0]) + ": error: "), err
  assert re.search(pattern, err), err
  assert not os.path.exists(workdir)
