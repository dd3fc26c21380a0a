import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { Http1RequestReader } from "../../src/fingerprint/http/http1-request.js";
import { ja4h, primaryLanguage } from "../../src/fingerprint/http/ja4h.js";
import type { HttpRequest } from "../../src/fingerprint/http/request.js";
import { Counters } from "../../src/util/counters.js";

/** JA4+ hash of a hand-written raw list (SHA-256 prefix; 12 zeros for ""). */
const h12 = (s: string): string =>
  s === "" ? "000000000000" : createHash("sha256").update(s, "utf8").digest("hex").slice(0, 12);

function parse(text: string): HttpRequest[] {
  const out: HttpRequest[] = [];
  const r = new Http1RequestReader((req) => out.push(req), { counters: new Counters() });
  const b = Buffer.from(text, "latin1");
  r.push(b, 0, b.length);
  return out;
}

// The request of the reference tool's own unit test (rust/ja4/src/http.rs,
// test_http_stats_into_out), with its published JA4H in all four forms.
const CNN = [
  "GET / HTTP/1.1",
  "Host: www.cnn.com",
  "Cookie: FastAB=0=6859,1=8174,2=4183,3=3319,4=3917,5=2557,6=4259,7=6070,8=0804,9=6453,10=1942,11=4435,12=4143,13=9445,14=6957,15=8682,16=1885,17=1825,18=3760,19=0929; sato=1; countryCode=US; stateCode=VA; geoData=purcellville|VA|20132|US|NA|-400|broadband|39.160|-77.700|511; usprivacy=1---; umto=1; _dd_s=logs=1&id=b5c2d770-eaba-4847-8202-390c4552ff9a&created=1686159462724&expire=1686160422726",
  "Sec-Ch-Ua: ",
  "Sec-Ch-Ua-Mobile: ?0",
  "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.5735.110 Safari/537.36",
  'Sec-Ch-Ua-Platform: ""',
  "Accept: */*",
  "Sec-Fetch-Site: same-origin",
  "Sec-Fetch-Mode: cors",
  "Sec-Fetch-Dest: empty",
  "Sec-Fetch-Mode: cors",
  "Sec-Fetch-Dest: empty",
  "Referer: https://www.cnn.com/",
  "Accept-Encoding: gzip, deflate",
  "Accept-Language: en-US,en;q=0.9",
  "",
  "",
].join("\r\n");

describe("JA4H", () => {
  test("the reference's published example, parsed from the wire split at every byte", () => {
    const want = {
      ja4h: "ge11cr13enus_88d2d584d47f_0f2659b474bf_161698816dab",
      ja4h_r:
        "ge11cr13enus_Host,Sec-Ch-Ua,Sec-Ch-Ua-Mobile,User-Agent,Sec-Ch-Ua-Platform,Accept,Sec-Fetch-Site,Sec-Fetch-Mode,Sec-Fetch-Dest,Sec-Fetch-Mode,Sec-Fetch-Dest,Accept-Encoding,Accept-Language_FastAB,_dd_s,countryCode,geoData,sato,stateCode,umto,usprivacy_FastAB=0=6859,1=8174,2=4183,3=3319,4=3917,5=2557,6=4259,7=6070,8=0804,9=6453,10=1942,11=4435,12=4143,13=9445,14=6957,15=8682,16=1885,17=1825,18=3760,19=0929,_dd_s=logs=1&id=b5c2d770-eaba-4847-8202-390c4552ff9a&created=1686159462724&expire=1686160422726,countryCode=US,geoData=purcellville|VA|20132|US|NA|-400|broadband|39.160|-77.700|511,sato=1,stateCode=VA,umto=1,usprivacy=1---",
      ja4h_o: "ge11cr13enus_88d2d584d47f_457935509480_ff4b0b83634b",
      ja4h_ro:
        "ge11cr13enus_Host,Sec-Ch-Ua,Sec-Ch-Ua-Mobile,User-Agent,Sec-Ch-Ua-Platform,Accept,Sec-Fetch-Site,Sec-Fetch-Mode,Sec-Fetch-Dest,Sec-Fetch-Mode,Sec-Fetch-Dest,Accept-Encoding,Accept-Language_FastAB,sato,countryCode,stateCode,geoData,usprivacy,umto,_dd_s_FastAB=0=6859,1=8174,2=4183,3=3319,4=3917,5=2557,6=4259,7=6070,8=0804,9=6453,10=1942,11=4435,12=4143,13=9445,14=6957,15=8682,16=1885,17=1825,18=3760,19=0929,sato=1,countryCode=US,stateCode=VA,geoData=purcellville|VA|20132|US|NA|-400|broadband|39.160|-77.700|511,usprivacy=1---,umto=1,_dd_s=logs=1&id=b5c2d770-eaba-4847-8202-390c4552ff9a&created=1686159462724&expire=1686160422726",
    };
    const data = Buffer.from(CNN, "latin1");
    for (let cut = 1; cut < data.length; cut++) {
      const got: HttpRequest[] = [];
      const r = new Http1RequestReader((req) => got.push(req), { counters: new Counters() });
      r.push(Buffer.from(data.subarray(0, cut)), 0, cut);
      r.push(Buffer.from(data.subarray(cut)), 0, data.length - cut);
      assert.equal(got.length, 1, `cut at ${cut}`);
      assert.deepEqual(ja4h(got[0]), want, `cut at ${cut}`);
    }
  });

  test("Cookie and Referer: left out of the list and the count, flags set", () => {
    const [req] = parse("GET /x HTTP/1.0\r\nReferer: http://a/\r\nHost: a\r\nCookie: b=2; a=1\r\n\r\n");
    const fp = ja4h(req)!;
    assert.equal(fp.ja4h_r, "ge10cr010000_Host_a,b_a=1,b=2");
    assert.equal(fp.ja4h_ro, "ge10cr010000_Host_b,a_b=2,a=1");
    assert.equal(fp.ja4h, `ge10cr010000_${h12("Host")}_${h12("a,b")}_${h12("a=1,b=2")}`);
    assert.equal(fp.ja4h_o, `ge10cr010000_${h12("Host")}_${h12("b,a")}_${h12("b=2,a=1")}`);
  });

  test("HTTP/1 compares Cookie/Referer exactly: lowercase ones are ordinary headers", () => {
    // As the reference: "cookie" is counted and no c flag, yet its value (tshark's http.cookie
    // matches any case) still gives the cookie hashes; only the first cookie header is used.
    const [req] = parse(
      "POST / HTTP/1.1\r\nhost: a\r\ncookie: z=1; y=2\r\nreferer: x\r\nCOOKIE: w=3\r\n\r\n",
    );
    assert.equal(ja4h(req)!.ja4h_r, "po11nn040000_host,cookie,referer,COOKIE_y,z_y=2,z=1");
  });

  test("no cookies, no language: zero hashes and 0000", () => {
    const [req] = parse("HEAD / HTTP/1.1\r\n\r\n");
    assert.equal(ja4h(req)!.ja4h, "he11nn000000_000000000000_000000000000_000000000000");
  });

  test("cookies sorted by name then value; duplicates kept (PR #70 semantics)", () => {
    const [req] = parse(
      "GET / HTTP/1.1\r\nCookie: a=5; c=3; b=2; a=1; a=4; visitor=1; visitor-hash=2\r\n\r\n",
    );
    const fp = ja4h(req)!;
    // "visitor" < "visitor-hash" as names, although "visitor-hash=2" < "visitor=1" as strings.
    assert.equal(
      fp.ja4h_r,
      "ge11cn000000__a,a,a,b,c,visitor,visitor-hash_a=1,a=4,a=5,b=2,c=3,visitor=1,visitor-hash=2",
    );
    assert.equal(fp.ja4h_ro.split("_")[2], "a,c,b,a,a,visitor,visitor-hash");
  });

  test("header count is capped at 99", () => {
    const lines = Array.from({ length: 120 }, (_, i) => `X-${i}: ${i}`).join("\r\n");
    const [req] = parse(`GET / HTTP/1.1\r\n${lines}\r\n\r\n`);
    assert.ok(ja4h(req)!.ja4h.startsWith("ge11nn990000_"));
  });

  test("Accept-Language: first entry, '-' removed, lowercased, 4 characters", () => {
    assert.equal(primaryLanguage("da, en-GB;q=0.8, en;q=0.7"), "da00");
    assert.equal(primaryLanguage("en-US,en;q=0.9"), "enus");
    assert.equal(primaryLanguage("\t  fr-CH, fr;q=0.9"), "frch");
    assert.equal(primaryLanguage("zh-Hant-TW"), "zhha");
    assert.equal(primaryLanguage(""), "0000");
    // The reference does not strip ";q=": a weighted first entry keeps the ";".
    assert.equal(primaryLanguage("en;q=0.8"), "en;q");
    const [req] = parse("OPTIONS * HTTP/1.1\r\naccept-language: de-DE\r\n\r\n");
    assert.equal(ja4h(req)!.ja4h.slice(0, 12), "op11nn01dede");
  });

  test("methods and versions the reference does not fingerprint", () => {
    const base = { target: "/", headers: [] };
    assert.equal(ja4h({ ...base, method: "PROPFIND", version: "HTTP/1.1" }), undefined);
    assert.equal(ja4h({ ...base, method: "get", version: "HTTP/1.1" }), undefined);
    assert.equal(ja4h({ ...base, method: "GET", version: "HTTP/2.0" }), undefined);
    assert.equal(ja4h({ ...base, method: "GET", version: "" }), undefined);
    for (const [m, c] of [
      ["CONNECT", "co"],
      ["DELETE", "de"],
      ["PATCH", "pa"],
      ["PUT", "pu"],
      ["TRACE", "tr"],
    ]) {
      assert.equal(ja4h({ ...base, method: m, version: "HTTP/1.1" })!.ja4h.slice(0, 4), `${c}11`);
    }
  });

  test("HTTP/2: pseudo-headers counted, lowercase cookie/referer, one cookie per field", () => {
    const req: HttpRequest = {
      method: "GET",
      target: "/",
      version: "HTTP/2",
      headers: [
        { name: ":method", value: "GET" },
        { name: ":authority", value: "a" },
        { name: ":scheme", value: "https" },
        { name: ":path", value: "/" },
        { name: "cookie", value: "b=2" },
        { name: "accept-language", value: "en-GB" },
        { name: "referer", value: "https://a/" },
        { name: "cookie", value: "a=1; c=3" },
      ],
    };
    assert.equal(
      ja4h(req)!.ja4h_r,
      "ge20cr05engb_:method,:authority,:scheme,:path,accept-language_a,b_a=1; c=3,b=2",
    );
  });
});
