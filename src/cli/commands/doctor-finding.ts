/** One line of `jumpgate doctor`: what was found, and how to fix it when it needs fixing. */
export interface Finding { level: 'ok' | 'warn' | 'fail'; what: string; fix?: string }
