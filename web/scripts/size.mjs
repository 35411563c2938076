// What the console's shell ships before any lazy route: its entry chunk and every chunk it
// imports statically (from Vite's manifest), raw and gzipped; CSS reported apart.
// `npm run size` after `npm run build`.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath, URL } from 'node:url'

const out = fileURLToPath(new URL('../../gateway/static/web/', import.meta.url))
const manifest = JSON.parse(readFileSync(`${out}.vite/manifest.json`, 'utf8'))

function measure(entry) {
  const seen = new Set()
  const css = new Set()
  const walk = (key) => {
    if (seen.has(key)) return
    seen.add(key)
    for (const c of manifest[key].css || []) css.add(c)
    for (const dep of manifest[key].imports || []) walk(dep)
  }
  walk(entry)
  const size = (files) => files.reduce((acc, f) => {
    const bytes = readFileSync(out + f)
    return { raw: acc.raw + bytes.length, gzip: acc.gzip + gzipSync(bytes, { level: 9 }).length }
  }, { raw: 0, gzip: 0 })
  return { js: size([...seen].map((k) => manifest[k].file)), css: size([...css]), chunks: seen.size }
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`
for (const entry of ['console/index.html', 'app/index.html', 'dashboard/index.html', 'graphiql/index.html']) {
  const m = measure(entry)
  console.log(`${entry}: JS ${kb(m.js.raw)} (${kb(m.js.gzip)} gzipped) in ${m.chunks} chunks; CSS ${kb(m.css.raw)} (${kb(m.css.gzip)} gzipped)`)
}
