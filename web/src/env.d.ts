// esbuild bundles imported CSS into app.css; the import itself has no value.
declare module '*.css';
