"""The `nice-tx` command line: a click group; each subcommand lives in `plugin.commands`."""

from __future__ import annotations

import click

from plugin.commands.code import code
from plugin.commands.compile import compile_
from plugin.commands.content import content
from plugin.commands.package import package
from plugin.commands.serve import serve
from plugin.commands.validate import validate
from plugin.config import SERVER_VERSION


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(SERVER_VERSION, prog_name="nice-tx")
def main() -> None:
    """FHIR terminology service for NICE IPG406 coding rules (OPCS-4 / ICD-10).

    \b
    Examples:
      nice-tx serve                          # FHIR R4 at http://127.0.0.1:8000/r4
      nice-tx serve --port 9000 --content ./my-maps
      nice-tx code "Percutaneous MWA of CRLM under US"
      nice-tx code --input notes.csv --output coded.csv
      nice-tx package --out dist             # FHIR NPM package for other servers
      nice-tx content list                   # what is loaded, from which pack
      nice-tx validate procedure.json        # check a resource against FHIR and our codes
      nice-tx compile page.txt --out pack    # a NICE coding section -> rules + content pack

    \b
    Exit codes: 0 done; 1 the input was checked and is invalid (code: rows were
    skipped); 2 usage error; 3 cannot run (content refused under --strict, unreadable
    or unusable input, missing extra).
    """


main.add_command(serve)
main.add_command(code)
main.add_command(package)
main.add_command(content)
main.add_command(validate)
main.add_command(compile_)
