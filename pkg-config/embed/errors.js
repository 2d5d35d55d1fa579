// The embed's own errors: an `Error` named `EmbedError` with a stable `code`.

export function embedError(code, message) {
  const error = new Error(message);
  error.name = "EmbedError";
  error.code = code;
  return error;
}
