-- A shell type (declared, never defined) and its comment.
CREATE TYPE shell_only;
COMMENT ON TYPE shell_only IS 'declared, never defined';
CREATE TYPE "Shell Two";
