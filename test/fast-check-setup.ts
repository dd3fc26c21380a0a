// fast-check caps generated arrays, strings and byte arrays at about ten elements ("small"
// size) unless told otherwise, whatever their maxLength says. The fuzz and model tests mean
// the maxLength they give (random packets up to 1,500 bytes, op sequences up to 300 long), so
// an explicit maximum is honoured everywhere; unbounded arbitraries keep the small default.
import fc from "fast-check";

fc.configureGlobal({ ...fc.readConfigureGlobal(), defaultSizeToMaxWhenMaxSpecified: true });
