import { chromium } from "playwright-core";

/** Headless Debian Chromium (/usr/bin/chromium) as the browser tests drive it: no network of its own, no sandbox (root). */
export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
