/**
 * The few icons the client uses, as inline SVG (no icon font, no emoji that a
 * system may lack a font for). Decorative: hidden from assistive technology,
 * the surrounding text or label says what they mean.
 */
const PATHS = {
  lock: 'M7 10V7a5 5 0 0 1 10 0v3h1a1 1 0 0 1 1 1v9a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1v-9a1 1 0 0 1 1-1zm2 0h6V7a3 3 0 0 0-6 0z',
  clip: 'M16.5 6.5 8.9 14.1a1.5 1.5 0 0 0 2.1 2.1l7.1-7.1a3.5 3.5 0 0 0-5-5L5.7 11.4a5.5 5.5 0 0 0 7.8 7.8l6.4-6.4-1.4-1.4-6.4 6.4a3.5 3.5 0 0 1-5-5L14.5 5.4a1.5 1.5 0 0 1 2.1 2.1l-7.1 7.1-.2-.1 7.6-7.6z',
  file: 'M6 2h8l6 6v13a1 1 0 0 1-1 1H6a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm7 1.5V9h5.5zM8 13h8v1.5H8zm0 3.5h8V18H8z',
} as const;

export function icon(name: keyof typeof PATHS): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  svg.setAttribute('class', `icon icon-${name}`);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', PATHS[name]);
  path.setAttribute('fill', 'currentColor');
  svg.append(path);
  return svg;
}
