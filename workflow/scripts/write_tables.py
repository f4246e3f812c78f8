"""write_tables: the report's page of tables to sort and search, and the front page's links."""

import sys

from showdown.figures import result_links_rst, write_tables

if __name__ == "__main__":
    # Left open: an uncaught error's traceback is written at exit, into the log.
    sys.stderr = open(snakemake.log[0], "w")  # noqa: SIM115
    write_tables(
        **dict(snakemake.input.items()),
        page=snakemake.output.page,
        forest_table=snakemake.output.forest_table,
        links=snakemake.params.links,
    )
    with open(snakemake.output.figure_links, "w") as handle:
        handle.write(result_links_rst(snakemake.params.links))
