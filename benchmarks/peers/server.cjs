// A minimal node:http server around one Node FHIR translation library, for the benchmark only.
//
//   node server.cjs <fhir-translate|fhir-terminology-runtime> <port> <ConceptMap.json>
//
// GET /r4/ConceptMap/$translate?system=..&code=.. answers a FHIR R4 Parameters resource built
// from the library's result. Run from a folder where `npm install` put the library; the
// benchmark (benchmarks/peers.py) does that in a scratch folder.
"use strict";
const http = require("node:http");
const fs = require("node:fs");

const [, , which, port, mapFile] = process.argv;
const conceptMap = JSON.parse(fs.readFileSync(mapFile, "utf8"));
const JSON_HEADERS = { "Content-Type": "application/fhir+json" };

function parameters(result, matches) {
  const parameter = [{ name: "result", valueBoolean: result }];
  for (const t of matches) {
    parameter.push({
      name: "match",
      part: [
        { name: "equivalence", valueCode: t.equivalence },
        { name: "concept", valueCoding: { system: t.system, code: t.code, display: t.display } },
      ],
    });
  }
  return { resourceType: "Parameters", parameter };
}

async function translator() {
  if (which === "fhir-translate") {
    const { conceptMapTranslate } = require("@synanetics/fhir-translate");
    return async (system, code) =>
      conceptMapTranslate({
        parameters: {
          resourceType: "Parameters",
          parameter: [
            { name: "system", valueUri: system },
            { name: "code", valueCode: code },
          ],
        },
        fhirVersion: "r4",
        conceptMaps: [conceptMap],
      });
  }
  if (which === "fhir-terminology-runtime") {
    const { FhirTerminologyRuntime } = require("fhir-terminology-runtime");
    // The runtime reads ConceptMaps through a FHIR package explorer; this one holds one map.
    const meta = { filename: "cm.json", __packageId: "bench", __packageVersion: "1.0.0" };
    const fpe = {
      getCachePath: () => "/nonexistent",
      getContextPackages: () => [],
      resolve: async () => conceptMap,
      resolveMeta: async () => meta,
    };
    const ftr = await FhirTerminologyRuntime.create({ fpe, cacheMode: "none" });
    return async (system, code) => {
      const r = await ftr.translateConceptMap({ system, code }, meta);
      return parameters(r.status === "mapped", r.status === "mapped" ? r.targets : []);
    };
  }
  throw new Error(`unknown library ${which}`);
}

translator().then((translate) => {
  http
    .createServer(async (req, res) => {
      const url = new URL(req.url, "http://127.0.0.1");
      if (!url.pathname.endsWith("/$translate")) {
        res.writeHead(200, JSON_HEADERS).end('{"status":"ok"}');
        return;
      }
      try {
        const q = url.searchParams;
        const body = JSON.stringify(await translate(q.get("system"), q.get("code")));
        res.writeHead(200, JSON_HEADERS).end(body);
      } catch (e) {
        res.writeHead(400, JSON_HEADERS).end(JSON.stringify({ error: String(e) }));
      }
    })
    .listen(Number(port), "127.0.0.1");
});
