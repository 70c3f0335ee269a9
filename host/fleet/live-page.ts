// `ffedge logs live --mqtt URL --fleet NAME`: a page on 127.0.0.1 showing every
// device of a fleet (online state, goodness, accuracy, records received) and
// the averaged model's accuracy per round, from a FleetView subscribed to the
// broker. The page is rendered whole on the server and refreshed by fetching
// /state.json every second (no websocket, no script from elsewhere).
//
// Non-goals: history plots (ffedge logs live FILE does those for one device).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FleetView, FleetViewState } from './fleet-view.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(digits));

/** The body of the page for a state (also what the refresh script rebuilds, via the same markup from state.json). */
export function renderBody(s: FleetViewState): string {
  const last = s.averaged[s.averaged.length - 1];
  const rows = s.devices
    .map((d) => {
      const top = d.layers[d.layers.length - 1];
      return (
        `<tr class="device ${d.online ? 'online' : 'offline'}" data-device="${esc(d.device)}"><td>${esc(d.device)}</td>` +
        `<td class="state">${d.online ? 'online' : `offline (${esc(d.reason ?? '?')})`}</td><td>${d.trained}</td>` +
        `<td>${num(top?.gpos, 2)}</td><td>${num(top?.gneg, 2)}</td><td class="accuracy">${num(d.accuracy)}</td>` +
        `<td>${d.received}</td><td>${d.missing}</td><td>${esc(d.transport ?? '')}</td></tr>`
      );
    })
    .join('');
  const curve = s.averaged
    .map((a) => `<li data-round="${a.round}">round ${a.round}: <span class="avg-accuracy">${num(a.accuracy)}</span> (n ${a.n})</li>`)
    .join('');
  return (
    `<h1>fleet ${esc(s.fleet)}</h1>` +
    `<p id="coordinator">coordinator ${s.coordinator.online ? 'online' : 'offline'}, round ${s.coordinator.round} (${esc(s.coordinator.state)}); ` +
    `averaged model accuracy <b id="average">${last ? num(last.accuracy) : '-'}</b></p>` +
    `<table><thead><tr><th>device</th><th>state</th><th>trained</th><th>g+ (top)</th><th>g- (top)</th><th>accuracy</th><th>records</th><th>missing</th><th>link</th></tr></thead>` +
    `<tbody>${rows}</tbody></table><h2>averaged model</h2><ol id="curve">${curve}</ol>`
  );
}

function page(s: FleetViewState): string {
  // The script re-renders from /state.json with the same markup rules as renderBody.
  return `<!doctype html><html><head><meta charset="utf-8"><title>ffedge fleet ${esc(s.fleet)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1em}table{border-collapse:collapse}td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}
td:first-child,th:first-child{text-align:left}tr.offline{color:#a00}</style></head>
<body><main id="view">${renderBody(s)}</main>
<script>
const esc=(s)=>String(s).replace(/[&<>"']/g,(c)=>'&#'+c.charCodeAt(0)+';');
const num=(v,d=3)=>v===null||v===undefined||!isFinite(v)?'-':Number(v).toFixed(d);
function body(s){const last=s.averaged[s.averaged.length-1];
const rows=s.devices.map((d)=>{const top=d.layers[d.layers.length-1]||{};return '<tr class="device '+(d.online?'online':'offline')+'" data-device="'+esc(d.device)+'"><td>'+esc(d.device)+'</td><td class="state">'+(d.online?'online':'offline ('+esc(d.reason||'?')+')')+'</td><td>'+d.trained+'</td><td>'+num(top.gpos,2)+'</td><td>'+num(top.gneg,2)+'</td><td class="accuracy">'+num(d.accuracy)+'</td><td>'+d.received+'</td><td>'+d.missing+'</td><td>'+esc(d.transport||'')+'</td></tr>';}).join('');
const curve=s.averaged.map((a)=>'<li data-round="'+a.round+'">round '+a.round+': <span class="avg-accuracy">'+num(a.accuracy)+'</span> (n '+a.n+')</li>').join('');
return '<h1>fleet '+esc(s.fleet)+'</h1><p id="coordinator">coordinator '+(s.coordinator.online?'online':'offline')+', round '+s.coordinator.round+' ('+esc(s.coordinator.state)+'); averaged model accuracy <b id="average">'+(last?num(last.accuracy):'-')+'</b></p><table><thead><tr><th>device</th><th>state</th><th>trained</th><th>g+ (top)</th><th>g- (top)</th><th>accuracy</th><th>records</th><th>missing</th><th>link</th></tr></thead><tbody>'+rows+'</tbody></table><h2>averaged model</h2><ol id="curve">'+curve+'</ol>';}
let updates=0;
async function refresh(){try{const r=await fetch('/state.json',{cache:'no-store'});const s=await r.json();document.getElementById('view').innerHTML=body(s);document.body.dataset.updates=String(++updates);}catch(e){document.body.dataset.error=String(e);}}
refresh();setInterval(refresh,1000);
</script></body></html>`;
}

export interface FleetPageServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function serveFleetPage(view: FleetView, port = 0): Promise<FleetPageServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/state.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(view.snapshot()));
    } else if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(view.snapshot()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try / or /state.json\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
