import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { replaceSection } from "../../bench/read-bench.js";

describe("RESULTS.md section rewrite", () => {
  const read = "## Read\n\nnew figures\n";

  test("replaces only the Read section, keeping the ones before and after", () => {
    const doc = "# Benchmark results\n\n## Read\n\nold figures\nmore\n\n## Bus\n\nbus figures\n";
    assert.equal(
      replaceSection(doc, "## Read", read),
      "# Benchmark results\n\n## Read\n\nnew figures\n\n## Bus\n\nbus figures\n",
    );
  });

  test("Read as the last section", () => {
    const doc = "# Benchmark results\n\n## Bus\n\nbus figures\n\n## Read\n\nold\n";
    assert.equal(
      replaceSection(doc, "## Read", read),
      "# Benchmark results\n\n## Bus\n\nbus figures\n\n## Read\n\nnew figures\n",
    );
  });

  test("appends when missing, creates the file when empty", () => {
    assert.equal(
      replaceSection("# R\n\n## Bus\n\nx\n", "## Read", read),
      "# R\n\n## Bus\n\nx\n\n## Read\n\nnew figures\n",
    );
    assert.equal(replaceSection("", "## Read", read), "# Benchmark results\n\n## Read\n\nnew figures\n");
  });

  test("a heading that only starts like Read is not Read", () => {
    const doc = "## Readiness\n\nkeep\n";
    assert.equal(replaceSection(doc, "## Read", read), "## Readiness\n\nkeep\n\n## Read\n\nnew figures\n");
  });
});
