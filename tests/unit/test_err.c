/*
 * test_err.c - error records, collective agreement and exit statuses
 * (err.h). Needs MPI for tm_err_agree; written for any number of ranks,
 * registered on one.
 */
#include <string.h>

#include "tm_unit_mpi.h"
#include "tripminer/err.h"

static const int all_codes[] = {TM_OK,     TM_EUSAGE, TM_EIO,       TM_EINPUT, TM_ENOMEM,
                                TM_EMPI,   TM_EEXIST, TM_EINTERNAL, TM_ENOTSUP};
#define N_CODES ((int)(sizeof all_codes / sizeof all_codes[0]))

START_TEST(test_strerror)
{
    for (int i = 0; i < N_CODES; i++) {
        const char *s = tm_strerror(all_codes[i]);
        ck_assert_msg(s != NULL && s[0] != '\0', "code %d has no description", all_codes[i]);
        for (int j = 0; j < i; j++)
            ck_assert_msg(strcmp(s, tm_strerror(all_codes[j])) != 0,
                          "codes %d and %d share the description '%s'", all_codes[i],
                          all_codes[j], s);
    }
    const char *u = tm_strerror(-12345);
    ck_assert(u != NULL && u[0] != '\0');
}
END_TEST

START_TEST(test_clear)
{
    tm_err_t e;
    memset(&e, 'x', sizeof e);
    tm_err_clear(&e);
    ck_assert_int_eq(e.code, 0);
    ck_assert_str_eq(e.msg, "");
}
END_TEST

START_TEST(test_set_keeps_first)
{
    tm_err_t e;
    tm_err_clear(&e);
    ck_assert_int_eq(tm_err_set(&e, TM_EIO, "cannot read %s row %d", "x.h5", 5), TM_EIO);
    ck_assert_int_eq(e.code, TM_EIO);
    ck_assert_str_eq(e.msg, "cannot read x.h5 row 5");
    /* A later error returns its own code but does not replace the root cause. */
    ck_assert_int_eq(tm_err_set(&e, TM_EINPUT, "later %d", 2), TM_EINPUT);
    ck_assert_int_eq(e.code, TM_EIO);
    ck_assert_str_eq(e.msg, "cannot read x.h5 row 5");
    /* After clearing, the next error is recorded again. */
    tm_err_clear(&e);
    tm_err_set(&e, TM_ENOMEM, "budget");
    ck_assert_int_eq(e.code, TM_ENOMEM);
    ck_assert_str_eq(e.msg, "budget");
}
END_TEST

START_TEST(test_set_null_and_long)
{
    ck_assert_int_eq(tm_err_set(NULL, TM_EMPI, "no record %d", 1), TM_EMPI);
    char big[3 * TM_ERR_MSG_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    tm_err_t e;
    tm_err_clear(&e);
    ck_assert_int_eq(tm_err_set(&e, TM_EINPUT, "%s", big), TM_EINPUT);
    ck_assert_int_eq((int)strlen(e.msg), TM_ERR_MSG_MAX - 1);
    ck_assert(strncmp(e.msg, big, TM_ERR_MSG_MAX - 1) == 0);
}
END_TEST

START_TEST(test_agree_all_ok)
{
    tm_err_t e, before;
    /* Every byte defined: the record is compared whole with memcmp below. */
    memset(&e, 0, sizeof e);
    tm_err_clear(&e);
    snprintf(e.msg, sizeof e.msg, "left alone on rank %d", tm_unit_rank());
    before = e;
    int rc = tm_err_agree(0, &e, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == 0, "tm_err_agree(0) returned %d", rc);
    TM_ALL_ASSERT(memcmp(&e, &before, sizeof e) == 0, "err changed to %d '%s'", e.code, e.msg);
    /* Also with no record at all. */
    rc = tm_err_agree(0, NULL, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == 0, "tm_err_agree(0, NULL) returned %d", rc);
}
END_TEST

/* The last rank fails; every rank learns its code and message. */
START_TEST(test_agree_one_fails)
{
    const int rank = tm_unit_rank(), size = tm_unit_size();
    tm_err_t e;
    tm_err_clear(&e);
    int rc = 0;
    if (rank == size - 1)
        rc = tm_err_set(&e, TM_EINPUT, "embedding row 5 is not finite (in.h5:emb)");
    rc = tm_err_agree(rc, &e, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == TM_EINPUT, "rank %d: agreed code %d", rank, rc);
    TM_ALL_ASSERT(e.code == TM_EINPUT, "rank %d: err.code %d", rank, e.code);
    TM_ALL_ASSERT(strcmp(e.msg, "embedding row 5 is not finite (in.h5:emb)") == 0,
                  "rank %d: message '%s'", rank, e.msg);
}
END_TEST

/* Every rank fails: the lowest rank's error wins everywhere. */
START_TEST(test_agree_lowest_rank_wins)
{
    const int rank = tm_unit_rank();
    static const int codes[4] = {TM_EIO, TM_ENOMEM, TM_EINPUT, TM_EMPI};
    tm_err_t e;
    tm_err_clear(&e);
    int rc = tm_err_set(&e, codes[rank % 4], "failure of rank %d", rank);
    rc = tm_err_agree(rc, &e, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == TM_EIO && e.code == TM_EIO, "rank %d: code %d / %d", rank, rc, e.code);
    TM_ALL_ASSERT(strcmp(e.msg, "failure of rank 0") == 0, "rank %d: message '%s'", rank, e.msg);
}
END_TEST

/* A failure without a message gets one naming the code and the rank. */
START_TEST(test_agree_without_message)
{
    const int rank = tm_unit_rank();
    tm_err_t e;
    tm_err_clear(&e);
    int rc = tm_err_agree(rank == 0 ? TM_ENOMEM : 0, &e, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == TM_ENOMEM && e.code == TM_ENOMEM, "rank %d: code %d / %d", rank, rc,
                  e.code);
    TM_ALL_ASSERT(strstr(e.msg, tm_strerror(TM_ENOMEM)) != NULL && strstr(e.msg, "rank 0") != NULL,
                  "rank %d: message '%s'", rank, e.msg);
    /* And without a record to fill. */
    rc = tm_err_agree(rank == 0 ? TM_EIO : 0, NULL, MPI_COMM_WORLD);
    TM_ALL_ASSERT(rc == TM_EIO, "rank %d: code %d", rank, rc);
}
END_TEST

START_TEST(test_exit_status)
{
    ck_assert_int_eq(tm_err_exit_status(TM_OK), 0);
    ck_assert_int_eq(tm_err_exit_status(TM_EUSAGE), 2);
    /* docs/contract.md: 1 for any other failure, an existing output included. */
    static const int other[] = {TM_EIO, TM_EINPUT, TM_ENOMEM, TM_EMPI, TM_EEXIST, TM_EINTERNAL,
                                TM_ENOTSUP, -99};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        ck_assert_msg(tm_err_exit_status(other[i]) == 1, "code %d: exit status %d", other[i],
                      tm_err_exit_status(other[i]));
}
END_TEST

static Suite *err_suite(void)
{
    Suite *s = suite_create("err");
    TCase *tc = tcase_create("record");
    tcase_add_test(tc, test_strerror);
    tcase_add_test(tc, test_clear);
    tcase_add_test(tc, test_set_keeps_first);
    tcase_add_test(tc, test_set_null_and_long);
    tcase_add_test(tc, test_exit_status);
    suite_add_tcase(s, tc);
    tc = tcase_create("agree");
    tcase_add_test(tc, test_agree_all_ok);
    tcase_add_test(tc, test_agree_one_fails);
    tcase_add_test(tc, test_agree_lowest_rank_wins);
    tcase_add_test(tc, test_agree_without_message);
    suite_add_tcase(s, tc);
    return s;
}

int main(int argc, char **argv)
{
    return tm_unit_mpi_main(err_suite, "unit_err", argc, argv);
}
