-- 0011_files: attachments of SDG Awards cases (table submission_files in
-- 0009_awards): who may see them, adding under the case's quota, deleting.
--
-- The bytes travel as binary bytea parameters and results (src/db/db.h,
-- db_run_params), never as hex text; downloads read 1 MB substring()
-- slices, which STORAGE EXTERNAL keeps cheap.

-- What p_account (staff when p_staff) may see of case p_id's files:
--   'all'     staff, confirmed members of the case's organisation, and
--             judges assigned to its category who are not conflicted with
--             it, once evaluation has opened on a submitted case (the
--             readers of GET /api/submissions/{id});
--   'public'  anyone else, only its public files, while the case is a
--             public candidate: submitted, and voting has opened or the
--             results are published (the candidates and the gallery);
--   NULL      nothing (no such case, or not visible to this caller).
CREATE FUNCTION convene_file_access(p_id bigint, p_account bigint, p_staff boolean)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE
        WHEN p_staff THEN 'all'
        WHEN s.organisation_id = (SELECT a.organisation_id FROM accounts a
                                   WHERE a.id = p_account
                                     AND a.organisation_confirmed_at IS NOT NULL) THEN 'all'
        WHEN s.status = 'submitted' AND now() >= c.evaluation_opens_at
             AND EXISTS (SELECT 1 FROM judge_assignments j
                           JOIN account_roles r ON r.account_id = j.judge_id AND r.role = 'judge'
                          WHERE j.category_id = s.category_id AND j.judge_id = p_account)
             AND NOT convene_judge_conflicted(s.id, p_account) THEN 'all'
        WHEN s.status = 'submitted'
             AND (c.published_at IS NOT NULL OR now() >= c.voting_opens_at) THEN 'public'
        END
      FROM submissions s JOIN award_cycles c ON c.id = s.cycle_id
     WHERE s.id = p_id
$$;

-- One file's metadata as the API shows it.
CREATE FUNCTION convene_file_json(f submission_files) RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', f.id, 'filename', f.filename,
                             'content_type', f.content_type, 'size', f.size,
                             'sha256', encode(f.sha256, 'hex'), 'visibility', f.visibility,
                             'created_at', f.created_at)
$$;

-- The files of case p_id that p_account may see (see convene_file_access),
-- oldest first; NULL when it may see none of the case.
CREATE FUNCTION convene_files_json(p_id bigint, p_account bigint, p_staff boolean)
RETURNS json
LANGUAGE sql STABLE AS $$
    SELECT json_build_object('submission_id', p_id, 'items',
               (SELECT coalesce(json_agg(convene_file_json(f) ORDER BY f.id), '[]')
                  FROM submission_files f
                 WHERE f.submission_id = p_id
                   AND (v.access = 'all' OR f.visibility = 'public')))
      FROM (SELECT convene_file_access(p_id, p_account, p_staff) AS access) v
     WHERE v.access IS NOT NULL
$$;

-- Refuses unless p_account may add a file of p_size bytes to case p_id: a
-- confirmed member of the case's organisation while submission is open
-- (convene_submission_lock: the cycle's and the case's row locks, so
-- concurrent uploads to one case are counted one at a time), and the case
-- stays within 10 files and 25 MiB in all (file_quota, with the case's
-- count and bytes in the DETAIL). The API calls it with p_size 1 before
-- reading an upload, so that a refusal costs no transfer.
CREATE FUNCTION convene_file_check(p_id bigint, p_account bigint, p_staff boolean,
                                   p_size bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_files bigint;
    v_bytes bigint;
BEGIN
    PERFORM convene_submission_lock(p_id, p_account, p_staff);
    SELECT count(*), coalesce(sum(x.size), 0) INTO v_files, v_bytes
      FROM submission_files x WHERE x.submission_id = p_id;
    IF v_files >= 10 OR v_bytes + p_size > 25 * 1024 * 1024 THEN
        RAISE EXCEPTION 'file_quota' USING DETAIL = json_build_object(
            'files', v_files, 'bytes', v_bytes, 'max_files', 10,
            'max_bytes', 25 * 1024 * 1024)::text;
    END IF;
END;
$$;

-- Adds a file to case p_id for p_account (see convene_file_check).
-- Returns the new file as JSON.
CREATE FUNCTION convene_file_add(p_id bigint, p_account bigint, p_staff boolean,
                                 p_filename text, p_content_type text, p_visibility text,
                                 p_sha256 bytea, p_data bytea) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    f submission_files;
BEGIN
    PERFORM convene_file_check(p_id, p_account, p_staff, octet_length(p_data));
    INSERT INTO submission_files (submission_id, filename, content_type, size, sha256, data,
                                  visibility, uploaded_by)
    VALUES (p_id, p_filename, p_content_type, octet_length(p_data), p_sha256, p_data,
            coalesce(p_visibility, 'public'), p_account)
    RETURNING * INTO f;
    RETURN convene_file_json(f);
END;
$$;

-- Deletes file p_file of case p_id for p_account (a confirmed member while
-- submission is open, as for adding); another case's file is
-- file_not_found. Returns its filename.
CREATE FUNCTION convene_file_delete(p_id bigint, p_file bigint, p_account bigint,
                                    p_staff boolean) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_name text;
BEGIN
    PERFORM convene_submission_lock(p_id, p_account, p_staff);
    DELETE FROM submission_files x WHERE x.id = p_file AND x.submission_id = p_id
    RETURNING x.filename INTO v_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'file_not_found';
    END IF;
    RETURN v_name;
END;
$$;
