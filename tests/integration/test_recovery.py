"""Crashes: of an agent process, of the master, of a whole node. Nothing acknowledged is lost."""

import os
from cluster import Master, start_plain_agent, wait_for


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def task_pids(node, task_id):
    """Host pids of processes whose environment names the task."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                if f"MESOS_TASK_ID={task_id}".encode() in f.read().split(b"\0"):
                    pids.append(int(entry))
        except OSError:
            pass
    return pids


def running_task_pids(node, task_id):
    """The task's pids once its command has exec'd: TASK_RUNNING is sent when the process is
    forked, so its environment can lag the status by a moment."""
    return wait_for(lambda: task_pids(node, task_id), timeout=5, what=f"{task_id}'s processes")


def test_agent_restart_readopts_running_tasks_and_reports_ended_ones(cluster):
    node = cluster.node()
    master = cluster.master
    long_task = master.launch(name="long", cmd="sleep 300")
    short_task = master.launch(name="short", cmd="sleep 1; exit 7")
    master.wait_state(long_task["id"], "TASK_RUNNING")
    master.wait_state(short_task["id"], "TASK_RUNNING")
    agent_id = node.agent_id()
    pids = running_task_pids(node, long_task["id"])

    node.kill_agent()
    # The short task ends while no agent watches.
    wait_for(lambda: not task_pids(node, short_task["id"]), timeout=5, what="short task to end")
    assert all(pid_alive(pid) for pid in pids), "tasks survive their agent's death"

    node.start_agent()
    assert node.agent_id() == agent_id
    failed = master.wait_state(short_task["id"], "TASK_FAILED")
    assert "status 7" in failed["statuses"][-1]["message"]
    assert master.task(long_task["id"])["state"] == "TASK_RUNNING"
    assert task_pids(node, long_task["id"]) == pids, "re-adopted, not restarted"

    # The re-adopted task is still under control.
    master.kill_task(long_task["id"])
    master.wait_state(long_task["id"], "TASK_KILLED")
    wait_for(lambda: not task_pids(node, long_task["id"]), what="long task to die")


def test_master_restart_recovers_agents_and_tasks_without_duplicates(cluster):
    node = cluster.node()
    master = cluster.master
    tasks = [master.launch(name=f"t{i}", cmd="sleep 300") for i in range(5)]
    for task in tasks:
        master.wait_state(task["id"], "TASK_RUNNING")
    finished = master.launch(name="done", cmd="true")
    master.wait_state(finished["id"], "TASK_FINISHED")

    master.kill()
    restarted = Master(master.work_dir)
    restarted.port, restarted.http_port = master.port, master.http_port
    restarted.start()
    cluster.master = restarted

    listed = restarted.get("/master/tasks")[1]["tasks"]
    assert sorted(t["id"] for t in listed) == sorted([t["id"] for t in tasks] + [finished["id"]])
    wait_for(lambda: len(restarted.active_agents()) == 1, what="agent to re-register")
    for task in tasks:
        assert restarted.task(task["id"])["state"] == "TASK_RUNNING"
    assert restarted.task(finished["id"])["state"] == "TASK_FINISHED"
    assert node.agent_id() == restarted.active_agents()[0]["id"]
    # Launching still works and used resources are accounted once.
    slave = restarted.active_agents()[0]
    assert abs(slave["used_resources"]["cpus"] - 0.5) < 1e-6


def test_node_kill_makes_its_tasks_unreachable(cluster):
    doomed = cluster.node()
    master = cluster.master
    task = master.launch(cmd="sleep 300", agent_id=doomed.agent_id())
    master.wait_state(task["id"], "TASK_RUNNING")
    pids = running_task_pids(doomed, task["id"])

    doomed.kill()
    wait_for(lambda: not any(pid_alive(p) for p in pids), what="node's processes to die")
    unreachable = master.wait_state(task["id"], "TASK_UNREACHABLE", timeout=5)
    assert "Agent unreachable" in unreachable["statuses"][-1]["message"]
    slave = master.slaves()[0]
    assert slave["active"] is False


def test_agent_id_held_by_another_live_agent_is_refused(cluster, work_dir):
    first = cluster.node()
    agent_id = first.agent_id()
    # A second agent claims the first one's id (a copied work dir) from another address.
    impostor_dir = os.path.join(work_dir, "impostor")
    os.makedirs(os.path.join(impostor_dir, "meta"))
    with open(os.path.join(impostor_dir, "meta", "agent.json"), "w") as f:
        f.write('{"agent_id": "%s"}' % agent_id)
    impostor, log_path = start_plain_agent(cluster.master, impostor_dir, hostname="127.0.0.9")
    try:
        wait_for(lambda: "held by the live agent" in open(log_path).read(),
                 what="the refusal in the impostor's log")
        agents = cluster.master.active_agents()
        assert [a["id"] for a in agents] == [agent_id]
        assert agents[0]["hostname"] == "127.0.0.1"
    finally:
        impostor.kill()
        impostor.wait()
