// A small hand-written SVG: wall time until all Ready against N, one line per (kind, latency, mode).
import type { FlowResult } from './flow.ts';

const W = 640;
const H = 400;
const M = { left: 60, right: 200, top: 30, bottom: 50 };
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function plotSvg(flows: FlowResult[]): string {
  const series = new Map<string, FlowResult[]>();
  for (const r of flows) {
    const key = `${r.kind} ${r.latency} ${r.mode}`;
    series.set(key, [...(series.get(key) ?? []), r].sort((a, b) => a.n - b.n));
  }
  const maxN = Math.max(1, ...flows.map((r) => r.n));
  const maxY = Math.max(1, ...flows.map((r) => r.wallS)) * 1.1;
  const x = (n: number) => M.left + (n / maxN) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / maxY) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${M.left}" y="18" font-size="13">Wall time until all Ready vs N (solid: batched, dashed: naive)</text>`,
    `<line x1="${M.left}" y1="${y(0)}" x2="${x(maxN)}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${M.left}" y1="${y(0)}" x2="${M.left}" y2="${M.top}" stroke="black"/>`,
    `<text x="${(M.left + x(maxN)) / 2}" y="${H - 15}" text-anchor="middle">N resources</text>`,
    `<text x="15" y="${(M.top + y(0)) / 2}" transform="rotate(-90 15 ${(M.top + y(0)) / 2})" text-anchor="middle">seconds</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (maxY / 4) * i;
    parts.push(`<text x="${M.left - 5}" y="${y(v) + 4}" text-anchor="end">${v.toFixed(0)}</text>`, `<line x1="${M.left}" y1="${y(v)}" x2="${x(maxN)}" y2="${y(v)}" stroke="#ddd"/>`);
  }
  for (const n of [...new Set(flows.map((r) => r.n))]) parts.push(`<text x="${x(n)}" y="${y(0) + 15}" text-anchor="middle">${n}</text>`);
  let i = 0;
  for (const [key, points] of series) {
    const color = COLORS[Math.floor(i / 2) % COLORS.length]!;
    const dash = key.endsWith('naive') ? ' stroke-dasharray="6 4"' : '';
    const path = points.map((p, j) => `${j ? 'L' : 'M'}${x(p.n).toFixed(1)},${y(p.wallS).toFixed(1)}`).join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    for (const p of points) parts.push(`<circle cx="${x(p.n).toFixed(1)}" cy="${y(p.wallS).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = M.top + 10 + i * 16;
    parts.push(`<line x1="${W - M.right + 15}" y1="${ly}" x2="${W - M.right + 40}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`, `<text x="${W - M.right + 45}" y="${ly + 4}">${esc(key)}</text>`);
    i++;
  }
  parts.push('</svg>');
  return parts.join('\n');
}
